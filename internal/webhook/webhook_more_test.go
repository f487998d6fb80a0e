package webhook

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mcu/internal/logbuf"
)

// TestURLSecretNotLogged: a receiver's URL often carries its own secret
// (https://hooks.example.com/services/T0/B0/SECRET, ?token=SECRET); the
// log lines of a failed delivery, of a full queue and of a shutdown name
// the receiver's host, not the secret.
func TestURLSecretNotLogged(t *testing.T) {
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	hold := make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() { close(hold) })
	s := New(url+"/hooks/PATHSECRET?token=QUERYSECRET", Options{Queue: 1, Attempts: 2, Backoff: time.Millisecond, Timeout: 50 * time.Millisecond, Logger: log})
	for i := range 5 {
		s.Send("r", event{"x", i}) // some dropped: the queue is full
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Failed() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	closeWithin(t, s, 10*time.Millisecond)
	out := logs.String()
	if !strings.Contains(out, "event not delivered") || !strings.Contains(out, "queue full") {
		t.Fatalf("the failure and the full queue not logged:\n%s", out)
	}
	for _, secret := range []string{"PATHSECRET", "QUERYSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log shows the URL's %s:\n%s", secret, out)
		}
	}
}

// TestDropsLoggedEachTime: a queue that fills again, hours after it
// filled first, is logged again: one warning in the life of the process
// leaves the operator blind to every later loss.
func TestDropsLoggedEachTime(t *testing.T) {
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	gate := make(chan struct{})
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-gate }))
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(gate) }) })
	s := New(url, Options{Queue: 1, Logger: log})
	fill := func() {
		for i := range 5 {
			s.Send("r", event{"x", i})
		}
	}
	fill()
	once.Do(func() { close(gate) }) // the receiver answers: the queue drains
	deadline := time.Now().Add(5 * time.Second)
	for s.queued.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s.Send("r", event{"ok", 0}) // taken: the queue has room again
	time.Sleep(50 * time.Millisecond)
	// A second episode: the queue fills again (a burst of closes).
	for range 2000 {
		s.Send("r", event{"burst", 0})
	}
	closeWithin(t, s, 5*time.Second)
	if n := strings.Count(logs.String(), "queue full"); n < 2 {
		t.Errorf("two episodes of a full queue logged %d times:\n%s", n, logs.String())
	}
}

// TestSignKnownAnswer: the signature is HMAC-SHA256 under the secret of
// the time, a dot and the body, as a receiver in another language computes
// it (the value below is Python's hmac); Verify takes it within its
// tolerance only, and not for another body or secret.
func TestSignKnownAnswer(t *testing.T) {
	body := []byte(`{"type":"room_started"}`)
	got := Sign([]byte("Jefe"), 1800000000, body)
	if want := "t=1800000000,sha256=02a7ff290c66324eb832117704c37a14e6a919514f8b4585fccf424fbc28dd6d"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	at := time.Unix(1800000000, 0)
	for _, c := range []struct {
		what   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"as signed", "Jefe", got, body, at.Add(4 * time.Minute), true},
		{"too late (a replay)", "Jefe", got, body, at.Add(6 * time.Minute), false},
		{"too early", "Jefe", got, body, at.Add(-6 * time.Minute), false},
		{"another body", "Jefe", got, []byte(`{"type":"room_finished"}`), at, false},
		{"another secret", "Jeff", got, body, at, false},
		{"the time changed", "Jefe", strings.Replace(got, "t=1800000000", "t=1800000300", 1), body, at.Add(5 * time.Minute), false},
		{"no time", "Jefe", strings.TrimPrefix(got, "t=1800000000,"), body, at, false},
	} {
		err := Verify([]byte(c.secret), c.header, c.body, c.now, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: Verify = %v, want ok %v", c.what, err, c.ok)
		}
	}
}

// TestRedirectNotFollowed: a receiver answering with a redirect elsewhere
// does not get the event posted there (with its signature).
func TestRedirectNotFollowed(t *testing.T) {
	var mu sync.Mutex
	var elsewhere int
	other := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhere++
		mu.Unlock()
	}))
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+"/stolen", http.StatusTemporaryRedirect)
	}))
	s := New(url, Options{Attempts: 1, Secret: "0123456789abcdef0123456789abcdef"})
	s.Send("r", event{"x", 0})
	closeWithin(t, s, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if elsewhere != 0 || s.Failed() != 1 {
		t.Errorf("posted %d times to the redirect's target, failed %d: want 0 and 1", elsewhere, s.Failed())
	}
}

// TestCloseTriesWithoutWaiting: at Close, an event whose post failed is
// tried once more at once, not after its backoff (a minute here), so that
// the last events of a shutdown go out within its timeout.
func TestCloseTriesWithoutWaiting(t *testing.T) {
	var mu sync.Mutex
	tries := map[string]int{}
	first := make(chan struct{}, 8)
	url := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 512)
		n, _ := r.Body.Read(b)
		mu.Lock()
		tries[string(b[:n])]++
		k := tries[string(b[:n])]
		mu.Unlock()
		if k == 1 {
			first <- struct{}{}
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	s := New(url, Options{Backoff: time.Minute})
	s.Send("r", event{"x", 0})
	s.Send("r", event{"y", 1})
	<-first // the first event's first try failed: its backoff begins
	begun := time.Now()
	if err := closeWithin(t, s, 5*time.Second); err != nil || time.Since(begun) > 2*time.Second {
		t.Errorf("Close: %v after %v, want nil at once", err, time.Since(begun))
	}
	if s.Failed() != 0 {
		t.Errorf("%d given up, want each delivered by its try at Close", s.Failed())
	}
}

// TestConnectionReused: the posts go over one kept-alive connection, not
// a new one (a new TLS handshake) each.
func TestConnectionReused(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("ok "), 4000)) // a body the sender does not need
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s := New(srv.URL, Options{})
	for i := range 5 {
		s.Send("r", event{"x", i})
	}
	closeWithin(t, s, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Errorf("%d connections for 5 posts, want 1", conns)
	}
}
