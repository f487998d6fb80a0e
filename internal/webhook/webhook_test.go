package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver records what it is posted; answer decides each status.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	sigs   []string
	answer func(n int) int // n: the request's number, from 0
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.bodies)
	rc.bodies = append(rc.bodies, string(body))
	rc.sigs = append(rc.sigs, r.Header.Get(SignatureHeader))
	rc.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	status := http.StatusNoContent
	if rc.answer != nil {
		status = rc.answer(n)
	}
	w.WriteHeader(status)
}

func (rc *receiver) got() ([]string, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...), append([]string(nil), rc.sigs...)
}

func start(t *testing.T, rc http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv.URL
}

func closeWithin(t *testing.T, s *Sender, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Close(ctx)
}

type event struct {
	Type string `json:"type"`
	N    int    `json:"n"`
}

// TestDeliveredInOrderAndSigned: every event is posted once, in order, as
// JSON, signed under the secret; Close waits for them.
func TestDeliveredInOrderAndSigned(t *testing.T) {
	rc := &receiver{}
	s := New(start(t, rc), Options{Secret: "the-secret-0123456789"})
	for i := range 20 {
		s.Send("r", event{"room_started", i})
	}
	if err := closeWithin(t, s, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	bodies, sigs := rc.got()
	if len(bodies) != 20 {
		t.Fatalf("%d posts, want 20", len(bodies))
	}
	for i, b := range bodies {
		var e event
		if err := json.Unmarshal([]byte(b), &e); err != nil || e.N != i {
			t.Errorf("post %d: %q (%v), want event %d", i, b, err, i)
		}
		if err := Verify([]byte("the-secret-0123456789"), sigs[i], []byte(b), time.Now(), time.Minute); err != nil {
			t.Errorf("post %d signed %q: %v", i, sigs[i], err)
		}
	}
	if s.Dropped()+s.Failed() != 0 || s.Delivered() != 20 {
		t.Errorf("delivered %d, dropped %d, failed %d; want 20 delivered", s.Delivered(), s.Dropped(), s.Failed())
	}
}

// TestUnsignedWithoutSecret: no secret, no signature header.
func TestUnsignedWithoutSecret(t *testing.T) {
	rc := &receiver{}
	s := New(start(t, rc), Options{})
	s.Send("r", event{"x", 1})
	closeWithin(t, s, 5*time.Second)
	if _, sigs := rc.got(); len(sigs) != 1 || sigs[0] != "" {
		t.Errorf("signatures %q, want one post unsigned", sigs)
	}
}

// TestRetriedThenGivenUp: a failed post (a 5xx, a redirect) is tried
// again, Attempts times in all; an event that always fails is given up
// and counted, and the next one still goes.
func TestRetriedThenGivenUp(t *testing.T) {
	rc := &receiver{answer: func(n int) int {
		switch {
		case n < 3:
			return http.StatusInternalServerError // the first event's three tries
		case n == 3:
			return http.StatusFound // the second's first try: not followed
		}
		return http.StatusOK
	}}
	s := New(start(t, rc), Options{Attempts: 3, Backoff: 10 * time.Millisecond})
	s.Send("r", event{"a", 0})
	s.Send("r", event{"b", 1})
	deadline := time.Now().Add(5 * time.Second)
	for bodies, _ := rc.got(); len(bodies) < 5 && time.Now().Before(deadline); bodies, _ = rc.got() {
		time.Sleep(5 * time.Millisecond)
	}
	closeWithin(t, s, 5*time.Second)
	bodies, _ := rc.got()
	if len(bodies) != 5 {
		t.Fatalf("%d posts, want 3 of the first event and 2 of the second", len(bodies))
	}
	if s.Failed() != 1 || s.Delivered() != 1 {
		t.Errorf("failed %d, delivered %d; want the first event failed, the second delivered", s.Failed(), s.Delivered())
	}
}

// TestQueueFull: events that find the queue full are dropped and counted,
// never waited for; so is one sent after Close.
func TestQueueFull(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(free)
	s := New(url, Options{Queue: 2})
	begun := time.Now()
	for i := range 10 {
		s.Send("r", event{"x", i})
	}
	if d := time.Since(begun); d > 100*time.Millisecond {
		t.Errorf("10 sends took %v: Send waited", d)
	}
	// One in flight, two queued: at least seven dropped.
	if s.Dropped() < 7 {
		t.Errorf("dropped %d of 10 with a queue of 2, want 7 or more", s.Dropped())
	}
	free()
	closeWithin(t, s, 5*time.Second)
	before := s.Dropped()
	s.Send("r", event{"late", 0})
	if s.Dropped() != before+1 {
		t.Error("an event sent after Close was not counted dropped")
	}
}

// TestCloseBounded: a receiver that never answers holds Close no longer
// than its context.
func TestCloseBounded(t *testing.T) {
	hold := make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hold }))
	t.Cleanup(func() { close(hold) }) // before the server's close (cleanups run last first)
	s := New(url, Options{Timeout: time.Minute})
	s.Send("r", event{"x", 0})
	s.Send("r", event{"y", 1})
	begun := time.Now()
	err := closeWithin(t, s, 200*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(begun) > 2*time.Second {
		t.Errorf("Close: %v after %v, want the context's deadline at 200 ms", err, time.Since(begun))
	}
}

// TestKeysGoBesideEachOther: while the receiver holds a post about one
// room unanswered, the events of other rooms are delivered (each room's
// in order); the held room's wait behind it, then follow in order.
func TestKeysGoBesideEachOther(t *testing.T) {
	type keyed struct {
		Room string `json:"room"`
		N    int    `json:"n"`
	}
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	var mu sync.Mutex
	got := map[string][]int{}
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e keyed
		json.NewDecoder(r.Body).Decode(&e)
		if e.Room == "held" {
			<-release
		}
		mu.Lock()
		got[e.Room] = append(got[e.Room], e.N)
		mu.Unlock()
	}))
	t.Cleanup(free)
	s := New(url, Options{Lanes: 4})
	rooms := []string{"held", "a", "b", "c", "d", "e"}
	for n := range 20 {
		for _, room := range rooms {
			s.Send(room, keyed{room, n})
		}
	}
	// Every room not sharing the held room's lane is delivered in full
	// while it is held.
	var others []string
	for _, room := range rooms[1:] {
		if lane(room, 4) != lane("held", 4) {
			others = append(others, room)
		}
	}
	if len(others) == 0 {
		t.Fatal("every room shares the held room's lane: choose other names")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := 0
		for _, room := range others {
			if len(got[room]) == 20 {
				done++
			}
		}
		held := len(got["held"])
		mu.Unlock()
		if held != 0 {
			t.Fatalf("%d of the held room's events delivered while it was held", held)
		}
		if done == len(others) {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			msg := fmt.Sprint(got)
			mu.Unlock()
			t.Fatalf("rooms %v not delivered while another room's post was held: %v", others, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
	free()
	if err := closeWithin(t, s, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, room := range rooms {
		if len(got[room]) != 20 {
			t.Errorf("room %s: %d events delivered, want 20", room, len(got[room]))
		}
		for i, n := range got[room] {
			if n != i {
				t.Errorf("room %s: event %d delivered %dth: %v", room, n, i, got[room])
				break
			}
		}
	}
	if s.Delivered() != 120 || s.Dropped()+s.Failed() != 0 {
		t.Errorf("delivered %d, dropped %d, failed %d; want 120 delivered", s.Delivered(), s.Dropped(), s.Failed())
	}
}
