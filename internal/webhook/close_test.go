package webhook

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestCloseCountsEachEventOnce: a Close whose context ends with
// posts unanswered gives up what is left: when it returns, every event
// sent is delivered, failed or dropped, once, and none is posted after.
func TestCloseCountsEachEventOnce(t *testing.T) {
	hold := make(chan struct{})
	var posts atomic.Int64
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		<-hold
	}))
	released := false
	release := func() {
		if !released {
			released = true
			close(hold)
		}
	}
	t.Cleanup(release)
	s := New(url, Options{Timeout: time.Minute})
	const rooms, each = 8, 3
	for n := range each {
		for r := range rooms {
			s.Send(fmt.Sprintf("room%d", r), event{"x", n})
		}
	}
	time.Sleep(200 * time.Millisecond) // the lanes' first posts are out, held
	inFlight := posts.Load()
	closeWithin(t, s, 200*time.Millisecond)
	sent := uint64(rooms * each)
	if got := s.Delivered() + s.Failed() + s.Dropped(); got != sent {
		t.Errorf("Close returned (%d posts held): delivered %d + failed %d + dropped %d = %d, want the %d sent",
			inFlight, s.Delivered(), s.Failed(), s.Dropped(), got, sent)
	}
	before := posts.Load()
	release()
	time.Sleep(300 * time.Millisecond)
	if got := s.Delivered() + s.Failed() + s.Dropped(); got > sent {
		t.Errorf("after Close gave up: delivered %d + failed %d + dropped %d = %d for %d events sent: counted twice",
			s.Delivered(), s.Failed(), s.Dropped(), got, sent)
	}
	if n := posts.Load() - before; n > 0 {
		t.Errorf("%d posts after Close returned, having given the events up", n)
	}
}
