package sched

import (
	"runtime"
	"time"
)

// CPUSpan measures the CPU time the calling thread spends on a piece of
// work: the codecs' share of a server's CPU, for its metrics. The
// goroutine stays on its thread from StartCPU to End, so that both
// readings are of the same thread's clock.
type CPUSpan struct {
	start   time.Duration
	started bool
}

// StartCPU starts a span on the calling goroutine's thread. End must be
// called on the same goroutine.
func StartCPU() CPUSpan {
	runtime.LockOSThread()
	return CPUSpan{start: threadCPU(), started: true}
}

// End returns the thread's CPU time since StartCPU (0 where the system
// cannot tell) and lets the goroutine move again, unless it was locked to
// its thread before the span. On a span never started it does nothing
// and returns 0: it must not unlock a thread it did not lock.
func (s CPUSpan) End() time.Duration {
	if !s.started {
		return 0
	}
	d := threadCPU() - s.start
	runtime.UnlockOSThread()
	return max(d, 0)
}
