package room

import (
	"slices"
	"testing"
	"time"
)

// TestVideoInShedsThroughoutTheLayeredWait: a layered sender's packets
// that waited anywhere past maxDecodeLag up to maxLayeredLag for a
// decoder behind have its frames above the base layer shed, not its
// frames dropped up to a keyframe: no keyframe is asked for (a large
// frame to decode, on a server short of CPU), the base layer's frames
// are decoded, and layer 1 comes back at its next sync frame.
func TestVideoInShedsThroughoutTheLayeredWait(t *testing.T) {
	const n = 60
	frames := twoLayerFrames(t, n, func(int) bool { return true })
	whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
	back := 40 // the first layer-1 frame decoded after the wait
	for frames[back].layer.tid != 1 {
		back++
	}
	want := picked(whole, func(i int) bool { return i < 20 || i >= back || frames[i].layer.tid == 0 })
	for _, wait := range []time.Duration{
		maxDecodeLag + time.Millisecond,
		(maxDecodeLag + maxLayeredLag) / 2,
		maxLayeredLag - time.Millisecond,
		maxLayeredLag,
	} {
		got, asked, behind := layeredRunWaiting(t, frames, func(int, int) bool { return false }, func(i int) time.Duration {
			if i >= 20 && i < 40 {
				return wait
			}
			return 0
		})
		if asked != 0 || behind == 0 || !slices.Equal(got, want) {
			t.Errorf("waited %v: %d keyframes asked for, %d frames told as behind, %d pictures; want 0, some and %d",
				wait, asked, behind, len(got), len(want))
		}
	}
}
