//go:build cgo

package recorder

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestRecordingAsksForAKeyframeForARefusedPicture: a picture refused for
// its time takes the pictures after it out of the file until the next
// keyframe, so the recording asks for one at once (else the recording's
// picture freezes up to the encoder's keyframe interval); a refused sound
// asks for none (each would cost the whole room a keyframe).
func TestRecordingAsksForAKeyframeForARefusedPicture(t *testing.T) {
	for _, tc := range []struct {
		name         string
		video, audio bool // which kind gets a frame with its time again
		want         int32
	}{
		{"a picture", true, false, 1},
		{"a sound", false, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRecording(t)
			var gaps atomic.Int32
			r.OnGap(func() { gaps.Add(1) })
			c := newClip(t)
			for i := range 5 {
				f, err := c.video.Encode(&c.pic.YCbCr, time.Duration(i)*time.Second/30, false)
				if err != nil {
					t.Fatal(err)
				}
				r.Video(f)
				if i == 1 && tc.video {
					r.Video(f) // refused: its time again
				}
				a, err := c.audioFrame(i)
				if err != nil {
					t.Fatal(err)
				}
				r.Audio(a)
				if i == 1 && tc.audio {
					r.Audio(a) // refused
				}
			}
			if _, err := r.Stop(); err != nil {
				t.Fatal(err)
			}
			if n := gaps.Load(); n != tc.want {
				t.Errorf("%d keyframes asked for, want %d", n, tc.want)
			}
		})
	}
}
