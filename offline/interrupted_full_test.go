package offline

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/mixer"
	"mcu/recorder"
)

// TestInterruptedOnAFullDisk: a mix interrupted (Ctrl-C) while its disk
// is full keeps what it wrote, but cannot finalize it: it says so
// (Unfinished), rather than "finalized up to ...", so that its user
// finishes the file (mcu finish) once the disk has room.
func TestInterruptedOnAFullDisk(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.webm")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 320, 180
	var once sync.Once
	opts := Options{Output: out, Mixer: cfg, Realtime: true, Progress: func(done, total time.Duration) {
		if done > time.Second {
			once.Do(func() {
				mediatest.FillDisk(t, out) // the disk fills
				cancel()                   // and the user presses Ctrl-C
			})
		}
	}}
	res, err := Mix(ctx, []Participant{p}, opts)
	if err == nil || res.Output != out || !res.Unfinished {
		t.Fatalf("Mix = %+v, %v; want the output kept, unfinished, and an error", res, err)
	}
	if unfinished, err := recorder.Unfinished(out); err != nil || !unfinished {
		t.Errorf("recorder.Unfinished(%s) = %v, %v; want true", out, unfinished, err)
	}
}
