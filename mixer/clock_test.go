package mixer

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestRealTimeSaysHowLate: the live clock tells the loop how late a tick
// is (it skips the pictures already due rather than composing them all
// in a burst after a stall), 0 for a tick it waited for, and keeps media
// time 0 at the wall time of its first Wait.
func TestRealTimeSaysHowLate(t *testing.T) {
	var mu sync.Mutex
	wall := time.Unix(1000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return wall }
	advance := func(d time.Duration) { mu.Lock(); wall = wall.Add(d); mu.Unlock() }
	c := &realClock{now: now}
	ctx := context.Background()
	if late, err := c.Wait(ctx, 0); err != nil || late != 0 {
		t.Fatalf("first Wait: late %v, %v; want 0", late, err)
	}
	start := now()
	advance(300 * time.Millisecond) // a stall
	if late, err := c.Wait(ctx, 40*time.Millisecond); err != nil || late != 260*time.Millisecond {
		t.Fatalf("tick at 40 ms after a 300 ms stall: late %v, %v; want 260ms", late, err)
	}
	if e := c.epoch(); !e.Equal(start) {
		t.Fatalf("epoch %v, want the first Wait's %v", e, start)
	}
	// A tick in the future is waited for (the timer is real: 5 ms); the
	// clock has moved on 20 ms by the time it fires: 15 ms late.
	jump := advance
	c.now = func() time.Time {
		t := now()
		if jump != nil {
			jump(20 * time.Millisecond) // the next reading
			jump = nil
		}
		return t
	}
	if late, err := c.Wait(ctx, 305*time.Millisecond); err != nil || late != 15*time.Millisecond {
		t.Fatalf("tick at 305 ms, the clock at 320 ms once it was due: late %v, %v; want 15ms", late, err)
	}
}
