package webhook

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestOneRoomTakesAQuarterOfTheQueue: one room's flood of events (the
// holder of a room token joining and leaving as fast as they can, four
// events a turn) fills its own share of the queue, not the whole of it:
// the events of other rooms still go out.
func TestOneRoomTakesAQuarterOfTheQueue(t *testing.T) {
	type keyed struct {
		Room string `json:"room"`
		N    int    `json:"n"`
	}
	var mu sync.Mutex
	got := map[string]int{}
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e keyed
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			t.Errorf("event: %v", err)
		}
		time.Sleep(2 * time.Millisecond) // a receiver slower than the flood
		mu.Lock()
		got[e.Room]++
		mu.Unlock()
	}))
	s := New(url, Options{})
	for i := range 5000 {
		s.Send("flood", keyed{"flood", i})
	}
	for i := range 20 {
		s.Send("other", keyed{"other", i})
	}
	closeWithin(t, s, 30*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if got["other"] != 20 {
		t.Errorf("after 5,000 events of one room, another room's 20: %d delivered", got["other"])
	}
	// Its share, and the few the receiver took out of it while the flood
	// was being sent.
	if share := DefaultQueue / 4; got["flood"] < share || got["flood"] > 2*share {
		t.Errorf("the flooding room had %d of its events delivered, want about its share of the queue, %d", got["flood"], share)
	}
}
