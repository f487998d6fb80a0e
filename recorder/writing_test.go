//go:build cgo

package recorder

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestFinishLeavesOwnRecordingWithoutLocks: on a file system without locks
// (an NFS mount without its lock service: every lock "taken"), this
// server's own recording, being written, whose file's time says it was
// last written a minute ago (the wall clock stepped forward, or the file
// server's clock runs behind), is left alone by FinishAll: finished in
// place, everything written to it afterwards, its trailer too, went to the
// unlinked file.
func TestFinishLeavesOwnRecordingWithoutLocks(t *testing.T) {
	saved := finishLock
	t.Cleanup(func() { finishLock = saved })
	finishLock = func(*os.File) (bool, error) { return true, nil }
	dir := t.TempDir()
	rec, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	feed := feeder(t, rec)
	feed(0, 2*time.Second)
	written(t, rec)
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(rec.Path(), old, old); err != nil {
		t.Fatal(err)
	}
	if got, _, err := FinishAll(context.Background(), dir, 10*time.Second, time.Now(), 0); len(got) != 0 {
		t.Errorf("FinishAll finished the live recording: %v, %v", got, err)
	}
	feed(2*time.Second, 5*time.Second)
	path, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	video := 0
	for _, b := range mediatest.WebMBlocks(data) {
		if b.Track == 1 {
			video++
		}
	}
	if video < 140 {
		t.Errorf("the recording holds %d pictures, want 150 (5 s at 30 fps)", video)
	}
}
