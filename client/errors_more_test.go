package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

func settledGoroutines(t *testing.T, base int) int {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	var n int
	for end := time.Now().Add(5 * time.Second); ; {
		runtime.GC()
		n = runtime.NumGoroutine()
		if n <= base || time.Now().After(end) {
			return n
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func dumpGoroutines(t *testing.T) {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, "testing.") && !strings.Contains(g, "pion") && !strings.Contains(g, "mcu/client") {
			continue
		}
		t.Log(g)
	}
}

// TestCloseLeaves: Connect, media, Leave/Close: no goroutine left.
func TestCloseLeaves(t *testing.T) {
	peer := fakeStart(t)
	opts := Options{Server: peer.srv.URL, Room: "r", Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")}
	cycle := func(leave bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := Connect(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Connected():
		case <-time.After(10 * time.Second):
			t.Fatal("not connected")
		}
		time.Sleep(500 * time.Millisecond)
		if leave {
			c.Leave(ctx)
		} else {
			c.Close()
		}
	}
	cycle(true)
	base := settledGoroutines(t, 0)
	for i := range 4 {
		cycle(i%2 == 0)
	}
	if n := settledGoroutines(t, base); n > base {
		t.Errorf("goroutines %d before 4 sessions, %d after", base, n)
		dumpGoroutines(t)
	}
}

// TestFailedConnectLeaves: each way a join fails leaves no goroutine
// and says why in a shape one can test.
func TestFailedConnectLeaves(t *testing.T) {
	slow := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rooms/forbidden/join":
			http.Error(w, "no token", http.StatusForbidden)
		case "/rooms/garbage/join":
			w.Header().Set("Location", "/s/1")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("v=0\r\nnonsense"))
		case "/rooms/noloc/join":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("v=0\r\n"))
		case "/rooms/slow/join":
			select {
			case <-slow:
			case <-time.After(2 * time.Second):
			}
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	defer close(slow)
	opts := func(room string) Options {
		return Options{Server: srv.URL, Room: room, Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")}
	}
	// warm up
	ctx0, cancel0 := context.WithTimeout(context.Background(), 10*time.Second)
	Connect(ctx0, opts("forbidden"))
	cancel0()
	base := settledGoroutines(t, 0)
	for _, c := range []struct {
		room    string
		timeout time.Duration
		check   func(error) bool
	}{
		{"forbidden", 10 * time.Second, func(err error) bool {
			var s *StatusError
			return errors.As(err, &s) && s.Code == 403 && s.Body == "no token"
		}},
		{"garbage", 10 * time.Second, func(err error) bool { return err != nil && strings.Contains(err.Error(), "answer") }},
		{"noloc", 10 * time.Second, func(err error) bool { return err != nil && strings.Contains(err.Error(), "Location") }},
		{"slow", 1500 * time.Millisecond, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"slow", 0, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
		}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		start := time.Now()
		cl, err := Connect(ctx, opts(c.room))
		cancel()
		if cl != nil {
			cl.Close()
		}
		if !c.check(err) {
			t.Errorf("%s (timeout %v): %v (%T)", c.room, c.timeout, err, err)
		}
		t.Logf("%s: %v after %v", c.room, err, time.Since(start).Round(time.Millisecond))
	}
	if n := settledGoroutines(t, base); n > base {
		t.Errorf("goroutines %d before, %d after the failed joins", base, n)
		dumpGoroutines(t)
	}
}

// TestRedirects: a 307/308 keeps the POST (and the session's URL is
// the redirected one); a 301/302 turns it into a GET: what does the user
// see?
func TestRedirects(t *testing.T) {
	peer := fakeStart(t)
	for _, code := range []int{307, 308, 301, 302} {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, peer.srv.URL+r.URL.RequestURI(), code)
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := Connect(ctx, Options{Server: front.URL, Room: "r", Endpoint: WHEP})
		cancel()
		if err == nil {
			t.Logf("%d: joined, session %s", code, c.Location())
			if !strings.HasPrefix(c.Location(), peer.srv.URL) {
				t.Errorf("%d: session at %s, want the redirected server's", code, c.Location())
			}
			c.Close()
		} else {
			t.Logf("%d: %v", code, err)
		}
		front.Close()
	}
}

// TestServerEnds: the server closes its peer (DTLS close_notify):
// the client sees Ended, closed, says no sending error over the loops
// after, and Close leaves nothing behind.
func TestServerEnds(t *testing.T) {
	peer := fakeStart(t)
	opts := Options{Server: peer.srv.URL, Room: "r", Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// warm up
	c0, err := Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-c0.Connected()
	c0.Leave(ctx)
	base := settledGoroutines(t, 0)
	c, err := Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-c.Connected()
	time.Sleep(500 * time.Millisecond)
	peer.mu.Lock()
	pcs := peer.pcs
	peer.pcs = nil
	peer.mu.Unlock()
	ended := time.Now()
	for _, pc := range pcs {
		pc.Close()
	}
	select {
	case <-c.Ended():
		t.Logf("ended %v after the server closed: %v", time.Since(ended).Round(time.Millisecond), c.EndState())
	case <-time.After(10 * time.Second):
		t.Fatal("not ended 10 s after the server closed")
	}
	time.Sleep(4 * time.Second) // over a loop boundary
	if err := c.Err(); err != nil {
		t.Errorf("sending error after the server ended: %v", err)
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
	if n := settledGoroutines(t, base); n > base {
		t.Errorf("goroutines %d before, %d after", base, n)
		dumpGoroutines(t)
	}
}

// TestRestartCancelled: a restart whose context ends during the
// PATCH (a slow server) returns the context's error and leaves the
// client stable, and Close leaves nothing behind.
func TestRestartCancelled(t *testing.T) {
	peer := fakeStart(t)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			time.Sleep(2 * time.Second)
			return
		}
		peer.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Connect(ctx, Options{Server: front.URL, Room: "r", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Connected()
	rctx, rcancel := context.WithTimeout(ctx, time.Second)
	_, err = c.RestartICE(rctx)
	rcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("restart: %v, want the deadline", err)
	}
	if st := c.pc.SignalingState(); st.String() != "stable" {
		t.Errorf("after: %v", st)
	}
	if c.ETag() != `"e1"` {
		t.Errorf("etag %s", c.ETag())
	}
}

// TestRedirect301: a proxy that redirects (301, as nginx's http to
// https) turns the POST of the offer into a GET: the join must fail saying
// where the server sent it, not with the 405 (or whatever) the GET gets.
func TestRedirect301(t *testing.T) {
	peer := fakeStart(t)
	for _, code := range []int{301, 302, 303} {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, peer.srv.URL+r.URL.RequestURI(), code)
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := Connect(ctx, Options{Server: front.URL, Room: "r", Endpoint: WHEP})
		cancel()
		if c != nil {
			c.Close()
		}
		var status *StatusError
		if err == nil || errors.As(err, &status) || !strings.Contains(err.Error(), peer.srv.URL+"/whep/r") {
			t.Errorf("%d to %s: %v; want an error that names where the server redirects", code, peer.srv.URL, err)
		}
		front.Close()
	}
}
