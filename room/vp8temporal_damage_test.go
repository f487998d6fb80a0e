package room

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestVideoInTemporalLayerFrameWithARefusedPacket: a frame of a sender
// with temporal layers whose packets all came, one of them refused by the
// depacketizer (its descriptor cut short), is damaged itself: it is not
// decoded, and a keyframe is asked for, whatever its TL0PICIDX says.
func TestVideoInTemporalLayerFrameWithARefusedPacket(t *testing.T) {
	frames := twoLayerFrames(t, 40, func(int) bool { return true })
	whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
	for _, tid := range []int{0, 1} {
		i := 20
		for frames[i].layer.tid != tid || len(layeredPackets(t, frames, i, new(uint16))) < 3 {
			if i++; i == len(frames) {
				t.Fatalf("no layer-%d frame of three packets", tid)
			}
		}
		got, asked := layeredRunEdited(t, frames, func(f, k int, p *rtp.Packet) {
			if f == i && k == 1 {
				p.Payload = p.Payload[:3] // X, I and half the picture ID
			}
		})
		if asked == 0 || !slices.Equal(got, whole[:i]) {
			n := 0
			for n < len(got) && got[n] == whole[n] {
				n++
			}
			t.Errorf("layer %d: frame %d damaged: %d keyframes asked for, %d pictures, the first %d as without it (want some, and the %d before it)",
				tid, i, asked, len(got), n, i)
		}
	}
}

// layeredRunEdited is layeredRun with each packet (frame f, packet k)
// changed by edit.
func layeredRunEdited(t *testing.T, frames []layeredFrame, edit func(f, k int, p *rtp.Packet)) (pictures []uint64, keyframes int) {
	t.Helper()
	pictures, keyframes, _ = layeredReplay(t, frames, func(i, k int, raw []byte) []byte {
		var p rtp.Packet
		if err := p.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		edit(i, k, &p)
		raw, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}, func(int) time.Duration { return 0 })
	return pictures, keyframes
}

// TestTemporalLayersWholeAgain: a keyframe makes every layer whole, those
// broken before it too; and the frames skipped count from the last time
// every layer was whole, so that losses each mended by a sync frame never
// add up to a keyframe request.
func TestTemporalLayersWholeAgain(t *testing.T) {
	var s temporalLayers
	admit := func(tid, tl0 int, sync, lost, key bool) layerVerdict {
		return s.admit(temporalLayer{tid: tid, tl0: tl0, sync: sync, ok: true}, lost, key, false)
	}
	admit(0, 0, false, false, true)
	if got := admit(1, 0, false, true, false); got != layerSkip {
		t.Fatalf("a layer-1 frame after a loss: %d, want %d", got, layerSkip)
	}
	admit(0, 1, false, false, true)
	if got := admit(1, 1, false, false, false); got != layerDecode {
		t.Errorf("a layer-1 frame after a keyframe: %d, want %d", got, layerDecode)
	}
	for k := 2; k < 2+2*maxLayerSkips; k++ {
		admit(0, k%256, false, false, false)
		if got := admit(1, k%256, false, true, false); got != layerSkip {
			t.Fatalf("loss %d: the layer-1 frame after it: %d, want %d", k, got, layerSkip)
		}
		if got := admit(1, k%256, true, false, false); got != layerDecode {
			t.Fatalf("loss %d: the sync frame after it: %d, want %d", k, got, layerDecode)
		}
	}
}
