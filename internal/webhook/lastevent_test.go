package webhook

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestBigRoomsLastEventsDelivered: a room of 300 sessions (25
// participants and 275 viewers: -max-viewers has no upper bound) let go at
// once (a shutdown, or its mixer failing: every session leaves in a row,
// then the room's close tells recording_finished and room_finished) tells
// some 302 events in a burst, past its share of the queue (a quarter,
// 256): the leaves beyond it are dropped, but its end, the events a
// receiver needs most, goes past the share (SendLast) and is told.
func TestBigRoomsLastEventsDelivered(t *testing.T) {
	var mu sync.Mutex
	var got []string
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct {
			Type string `json:"type"`
		}
		json.NewDecoder(r.Body).Decode(&e)
		time.Sleep(2 * time.Millisecond) // a receiver somewhat slower than the burst
		mu.Lock()
		got = append(got, e.Type)
		mu.Unlock()
	}))
	s := New(url, Options{})
	for range 300 {
		s.Send("webinar", map[string]string{"type": "participant_left"})
	}
	s.SendLast("webinar", map[string]string{"type": "recording_finished"})
	s.SendLast("webinar", map[string]string{"type": "room_finished"})
	closeWithin(t, s, 30*time.Second)
	mu.Lock()
	defer mu.Unlock()
	n := len(got)
	if n < 2 || got[n-2] != "recording_finished" || got[n-1] != "room_finished" {
		t.Errorf("a room of 300 sessions let go at once: %d events delivered, %d dropped; the last two %q; want recording_finished and room_finished delivered",
			n, s.Dropped(), got[max(n-2, 0):])
	}
}
