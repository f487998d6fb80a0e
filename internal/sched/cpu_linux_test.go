package sched

import (
	"testing"
	"time"
)

// sink keeps work from being optimized away.
var sink uint64

// work does a fixed amount of computing: about 20 ms of CPU here,
// however busy the machine is.
func work() {
	x := uint64(1)
	for i := range 40_000_000 {
		x = x*6364136223846793005 + uint64(i)
	}
	sink = x
}

// TestCPUSpan: a span counts the CPU time of its own thread's work, at most
// the time it lasted, and neither the time the thread sleeps nor what other
// threads do meanwhile.
func TestCPUSpan(t *testing.T) {
	start := time.Now()
	s := StartCPU()
	work()
	busy := s.End()
	wall := time.Since(start)
	if busy < time.Millisecond || busy > wall {
		t.Errorf("work measured %v of CPU in %v", busy, wall)
	}

	done := make(chan struct{})
	go func() { // another thread busy meanwhile
		defer close(done)
		work()
		work()
	}()
	s = StartCPU()
	time.Sleep(40 * time.Millisecond)
	idle := s.End()
	<-done
	if idle > 5*time.Millisecond {
		t.Errorf("40 ms of sleep, another thread working, measured %v of CPU", idle)
	}
}
