package lograte

import (
	"testing"
	"time"
)

// allowed counts the lines let through of n taken at now.
func allowed(l *Limiter, now time.Time, n int) int {
	got := 0
	for range n {
		if ok, _ := l.Allow(now); ok {
			got++
		}
	}
	return got
}

// TestLimiter: Burst lines at once, then one per Interval; an idle hour
// buys no more than Burst again; the first line let through after some
// were held back says how many.
func TestLimiter(t *testing.T) {
	l := &Limiter{Burst: 10, Interval: time.Second}
	t0 := time.Unix(1000, 0)
	if got := allowed(l, t0, 50); got != 10 {
		t.Fatalf("%d of 50 lines at once let through, want the burst of 10", got)
	}
	if ok, _ := l.Allow(t0.Add(500 * time.Millisecond)); ok {
		t.Error("a line half an interval after the burst let through")
	}
	ok, dropped := l.Allow(t0.Add(time.Second))
	if !ok || dropped != 41 {
		t.Errorf("a line an interval after the burst: let through %v, %d held back before it; want true, 41", ok, dropped)
	}
	if got := allowed(l, t0.Add(time.Hour), 5000); got != 10 {
		t.Errorf("%d of 5000 lines after an idle hour let through, want the burst of 10", got)
	}
	if n := l.Dropped(); n != 4990 {
		t.Errorf("Dropped() = %d, want the 4990 held back", n)
	}
	if n := l.Dropped(); n != 0 {
		t.Errorf("Dropped() again = %d, want 0: they were told", n)
	}
}

// TestZeroLimiter: a Limiter without settings holds every line back.
func TestZeroLimiter(t *testing.T) {
	var l Limiter
	if got := allowed(&l, time.Unix(0, 0), 3); got != 0 {
		t.Errorf("the zero Limiter let %d lines through, want none", got)
	}
}
