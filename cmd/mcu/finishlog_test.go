package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mcu/internal/diskspace"
)

// TestServeFinishFailureLoggedOnce: a finish refused for want of space is
// logged once, though the disk's free MiB its message holds moves at each
// round (the server's own live recordings write some 11 MiB a minute each):
// compared whole, the same failure was logged again every minute for as
// long as the disk stayed short.
func TestServeFinishFailureLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	killedRecording(t, dir)
	var free atomic.Uint64
	free.Store(100 << 20) // under -record-min-free, 256M
	real := diskspace.Free
	// Something else writes to the disk: a MiB less at each look.
	diskspace.Free = func(string) (uint64, bool) { return free.Add(^uint64(1<<20 - 1)), true }
	t.Cleanup(func() { diskspace.Free = real })
	every := finishEvery
	t.Cleanup(func() { finishEvery = every })
	finishEvery = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, stderr := serveUntilLogged(t, ctx, "could not all be finished", "-record-dir", dir)
	time.Sleep(1500 * time.Millisecond) // some 7 rounds
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(stderr.String(), "could not all be finished"); n != 1 {
		t.Errorf("the same recording refused for want of space: the failure logged %d times, want once", n)
	}
}
