package webhook

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestRetriesWaitLongerEachTime: an event refused is tried again after the
// backoff, then after twice it (the README: "tried again after 1 s and
// 2 s"), so that a receiver struggling to answer is given room, and not
// longer: a receiver back after a blip gets the event within them; the
// defaults are those the README states.
func TestRetriesWaitLongerEachTime(t *testing.T) {
	if DefaultAttempts != 3 || DefaultBackoff != time.Second || DefaultTimeout != 5*time.Second {
		t.Errorf("defaults: %d attempts, backoff %v, timeout %v; the README says 3 tries, 1 s and 2 s apart, 5 s each",
			DefaultAttempts, DefaultBackoff, DefaultTimeout)
	}
	var mu sync.Mutex
	var at []time.Time
	rc := &receiver{answer: func(int) int {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		return http.StatusServiceUnavailable
	}}
	const backoff = 300 * time.Millisecond
	s := New(start(t, rc), Options{Attempts: 3, Backoff: backoff})
	s.Send("r", event{"a", 0})
	deadline := time.Now().Add(5 * time.Second)
	for s.Failed() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	closeWithin(t, s, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 3 {
		t.Fatalf("%d tries, want 3", len(at))
	}
	if first, second := at[1].Sub(at[0]), at[2].Sub(at[1]); first < backoff || second < 2*backoff {
		t.Errorf("tries %v and %v apart, want at least %v and %v", first, second, backoff, 2*backoff)
	}
	// 3 backoffs in all; 5 allows for a slow machine, not for 6 (waits
	// of twice and four times the backoff).
	if d := at[2].Sub(at[0]); d >= 5*backoff {
		t.Errorf("three tries over %v, want about %v (%v then %v)", d, 3*backoff, backoff, 2*backoff)
	}
}
