package webhook

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"mcu/internal/logbuf"
)

// TestVerifyRefusesStrippedSignature: a receiver's Verify refuses a
// header whose HMAC is empty, cut short or lengthened: only the whole
// HMAC proves the sender held the secret.
func TestVerifyRefusesStrippedSignature(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"type":"participant_joined"}`)
	good := Sign(secret, 1800000000, body)
	at := time.Unix(1800000000, 0)
	if err := Verify(secret, good, body, at, time.Minute); err != nil {
		t.Fatalf("as signed: %v", err)
	}
	hexSig := strings.TrimPrefix(good, "t=1800000000,sha256=")
	for name, h := range map[string]string{
		"empty":     "t=1800000000,sha256=",
		"one byte":  "t=1800000000,sha256=" + hexSig[:2],
		"half":      "t=1800000000,sha256=" + hexSig[:32],
		"one more":  good + "00",
		"no sha256": "t=1800000000," + hexSig,
	} {
		if err := Verify(secret, h, body, at, time.Minute); err == nil {
			t.Errorf("signature %s (%q): taken", name, h)
		}
	}
}

// TestDefaultsAsTheREADMESays: a Sender made with the defaults (as mcu
// serve makes it) posts about 8 rooms at once, so that a receiver slow
// to answer about one room holds up no other's events; its queue holds
// 1,024 events.
func TestDefaultsAsTheREADMESays(t *testing.T) {
	if DefaultLanes != 8 || DefaultQueue != 1024 {
		t.Errorf("%d lanes, a queue of %d; the README says 8 and 1,024", DefaultLanes, DefaultQueue)
	}
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	var mu sync.Mutex
	got := map[string]int{}
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event
		json.NewDecoder(r.Body).Decode(&e)
		if e.Type == "held" {
			<-release
		}
		mu.Lock()
		got[e.Type]++
		mu.Unlock()
	}))
	t.Cleanup(free)
	s := New(url, Options{})
	// Another room on another of 8 lanes than the held one's.
	other := ""
	for i := range 100 {
		if k := fmt.Sprintf("room%d", i); lane(k, 8) != lane("held", 8) {
			other = k
			break
		}
	}
	s.Send("held", event{"held", 0})
	s.Send(other, event{"other", 0})
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("room %s's event not delivered while room held's post was unanswered", other)
		}
		time.Sleep(5 * time.Millisecond)
	}
	free()
	closeWithin(t, s, 5*time.Second)
}

// TestKeyShareExactAndForgotten: with a receiver holding a post, one
// key queues its share (a quarter of the queue) and no more, logging its
// drops once; once its events are drained the key is forgotten (a
// long-running server sees ever new room names), so that its share
// filling again is logged again. A full queue is logged once each time
// it fills, not for each event dropped.
func TestKeyShareExactAndForgotten(t *testing.T) {
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	permit, arrived, done := make(chan struct{}), make(chan struct{}, 64), make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-permit:
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done) })
	s := New(url, Options{Queue: 8, Lanes: 1, Logger: log}) // a share of 2
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for episode := 1; episode <= 2; episode++ {
		dropped := s.Dropped()
		s.Send("first", event{"x", 0})
		<-arrived // in flight, out of the queue
		for i := range 10 {
			s.Send("a", event{"a", i})
		}
		if d := s.Dropped() - dropped; d != 8 {
			t.Errorf("episode %d: 10 events of one key with its share of 2 free: %d dropped, want 8", episode, d)
		}
		if n := strings.Count(logs.String(), "fill its share"); n != episode {
			t.Errorf("episode %d: a key's share filled logged %d times in all, want %d:\n%s", episode, n, episode, logs.String())
		}
		// Three posts: first's, then a's two.
		permit <- struct{}{}
		<-arrived
		permit <- struct{}{}
		<-arrived
		permit <- struct{}{}
		wait("the queue drained", func() bool { return s.queued.Load() == 0 && s.Delivered() == uint64(3*episode) })
		s.mu.Lock()
		keys, full := len(s.perKey), len(s.keyFull)
		s.mu.Unlock()
		if keys != 0 || full != 0 {
			t.Errorf("episode %d: drained, %d keys still counted, %d marked full; want none", episode, keys, full)
		}
	}
	// The whole queue: 8 keys of one event each fill it; 6 more drop.
	s.Send("first", event{"x", 0})
	<-arrived
	for i := range 14 {
		s.Send(fmt.Sprintf("k%d", i), event{"k", i})
	}
	if n := strings.Count(logs.String(), "queue full"); n != 1 {
		t.Errorf("one time the queue filled: logged %d times, want 1:\n%s", n, logs.String())
	}
	closeWithin(t, s, 100*time.Millisecond)
}

// TestLongAnswerNotRead: a receiver that answers 2xx with a body without
// end (a page streamed back) does not hold each post until the timeout:
// the sender reads a little of it and goes on.
func TestLongAnswerNotRead(t *testing.T) {
	done := make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			select {
			case <-done:
				return
			case <-r.Context().Done():
				return
			default:
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
	}))
	t.Cleanup(func() { close(done) })
	s := New(url, Options{Timeout: 3 * time.Second})
	begun := time.Now()
	for i := range 3 {
		s.Send("r", event{"x", i})
	}
	closeWithin(t, s, 20*time.Second)
	// Each post held to its 3 s timeout would take 9 s (one key, one lane).
	if d := time.Since(begun); d > 5*time.Second || s.Delivered() != 3 {
		t.Errorf("3 events to a receiver streaming its answer: %d delivered in %v, want 3 at once", s.Delivered(), d)
	}
}

// TestURLSecretNotLoggedAtShutdownOrShare: the lines of a key filling its
// share and of a shutdown giving events up name the receiver by its
// scheme and host too, not by the path and query that often hold its
// secret.
func TestURLSecretNotLoggedAtShutdownOrShare(t *testing.T) {
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	arrived, done := make(chan struct{}, 64), make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(done) })
	s := New(url+"/hooks/PATHSECRET?token=QUERYSECRET", Options{Queue: 8, Lanes: 1, Timeout: time.Minute, Logger: log})
	s.Send("first", event{"x", 0})
	<-arrived // held
	for i := range 5 {
		s.Send("a", event{"a", i}) // its share is 2
	}
	closeWithin(t, s, 50*time.Millisecond) // gives up the held post and the queue
	out := logs.String()
	if !strings.Contains(out, "fill its share") || !strings.Contains(out, "not delivered at shutdown") {
		t.Fatalf("the key's share and the shutdown not logged:\n%s", out)
	}
	for _, secret := range []string{"PATHSECRET", "QUERYSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows the URL's %s:\n%s", secret, out)
		}
	}
}
