//go:build cgo

package recorder

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"mcu/internal/diskspace"
)

// TestRecordingWithFreeSpaceUnknown: a disk whose free space cannot be
// told (statfs fails, or not Linux) holds nothing back: the recording
// starts and takes every frame; and the free space is looked at about
// once a second of media, not at every frame nor less often.
func TestRecordingWithFreeSpaceUnknown(t *testing.T) {
	var calls atomic.Int64
	real := diskspace.Free
	diskspace.Free = func(string) (uint64, bool) { calls.Add(1); return 0, false }
	t.Cleanup(func() { diskspace.Free = real })
	cfg := WebMConfig{Width: 320, Height: 180, FPS: 30, MinFree: 1 << 30}
	r, err := Start(t.TempDir(), "room", time.Now(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("a start on a disk whose free space is unknown: %v, want it started", err)
	}
	feed := feeder(t, r)
	feed(0, 5*time.Second)
	written(t, r)
	if _, err := r.Stop(); err != nil {
		t.Errorf("Stop = %v, want nil: an unknown free space is no low disk", err)
	}
	if errors.Is(r.Err(), ErrLowDisk) {
		t.Errorf("Err = %v", r.Err())
	}
	// Start's look, then one at each second of media (1 s .. 4.x s).
	if n := calls.Load(); n < 4 || n > 7 {
		t.Errorf("free space looked at %d times for 5 s of media, want about once a second (4..7)", n)
	}
}
