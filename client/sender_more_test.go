package client

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestStreamLengthDoesNotWait: the length of a picture's loop, which a
// participant's Connect reads before anything is sent (its sound loops
// with it), is read at once, not in the clip's own time.
func TestStreamLengthDoesNotWait(t *testing.T) {
	start := time.Now()
	d, err := streamLength(context.Background(), mediatest.TestdataPath(t, "p01.ivf"), codec.Video)
	if err != nil {
		t.Fatal(err)
	}
	if d != 3*time.Second {
		t.Errorf("p01.ivf lasts %v, want 3 s", d)
	}
	if took := time.Since(start); took > 2*time.Second { // a wait in the clip's time would be 3 s
		t.Errorf("reading a 3 s clip's length took %v", took)
	}
}

// TestSendOnceRawH264AtItsRate: a raw H.264 stream (no container, no
// times) of 25 pictures a second steps the RTP clock 40 ms a picture, and
// its loop lasts its pictures' time, not what 30 fps would make it.
func TestSendOnceRawH264AtItsRate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "25.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=25:d=2",
		"-c:v", "libx264", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", "-f", "h264", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	var steps []time.Duration
	write := func(s media.Sample) error { steps = append(steps, s.Duration); return nil }
	length, err := sendOnce(context.Background(), path, codec.Video, write, time.Now().Add(-time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 50 || length != 2*time.Second {
		t.Errorf("%d pictures over %v, want 50 over 2 s", len(steps), length)
	}
	for i, d := range steps {
		if d != 40*time.Millisecond {
			t.Errorf("picture %d steps %v, want 40 ms", i, d)
			break
		}
	}
}
