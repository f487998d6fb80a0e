//go:build linux && cgo

package sched

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTimerSlack checks that threads the runtime starts after the process
// began (a goroutine locked to a new thread) have mcu's timer slack, set
// before main by the package's constructor; Linux's default is 50 µs.
func TestTimerSlack(t *testing.T) {
	got := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		v, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	if v := <-got; v != TimerSlack {
		t.Fatalf("timer slack %d ns, want %d", v, TimerSlack)
	}
}
