package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestFirstFrameCountsFromThePost puts a slow proxy in front of the server:
// it holds each join's POST for a while before passing it on. The wait for
// the first picture starts when the offer is posted, so it includes that
// hold (it used to start at the answer, which hid the server's own time to
// answer).
func TestFirstFrameCountsFromThePost(t *testing.T) {
	const hold = 400 * time.Millisecond
	srv := testserver.Start(t, nil)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			time.Sleep(hold)
		}
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go slow.Serve(ln)
	t.Cleanup(func() { slow.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	c, err := client.Connect(ctx, client.Options{Server: "http://" + ln.Addr().String(), Room: "first",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().FirstFrame == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	st := c.Stats()
	if st.FirstFrame == 0 {
		t.Fatal("no picture of the mix within 10 s")
	}
	if st.FirstFrame < hold {
		t.Errorf("first picture after %v, less than the %v the join's POST was held", st.FirstFrame, hold)
	}
	if st.First.Before(start.Add(hold)) || st.First.After(time.Now()) {
		t.Errorf("first picture at %v: want between the POST's release (%v) and now", st.First, start.Add(hold))
	}
}

// TestServerSendsTransportFeedback: the client numbers its packets for
// transport-cc as a browser does, and the server answers with feedback
// (which a browser's bandwidth estimate runs on).
func TestServerSendsTransportFeedback(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "feedback",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().TransportFeedback == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no transport-cc feedback from the server within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFailedJoinEndsItsSession: a join the server accepted (201, a
// Location) but whose answer the client cannot use ends with a DELETE of
// that Location, so the server does not keep the session until its ICE
// timeouts.
func TestFailedJoinEndsItsSession(t *testing.T) {
	deleted := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			w.Header().Set("Location", "/rooms/r/sessions/s1")
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("not an SDP answer"))
		case http.MethodDelete:
			deleted <- r.URL.Path
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "r"}); err == nil {
		c.Close()
		t.Fatal("a join with an unusable answer succeeded")
	}
	select {
	case path := <-deleted:
		if path != "/rooms/r/sessions/s1" {
			t.Errorf("DELETE %s, want the session's Location", path)
		}
	default:
		t.Error("the failed join did not end its session on the server")
	}
}

// TestWHIPH264SendsH264: a publisher that wants H.264 alone and is given a
// VP8 clip is told so before anything is sent.
func TestWHIPH264SendsH264(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: "http://127.0.0.1:1", Room: "r", Endpoint: client.WHIP, H264: true,
		Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err == nil {
		c.Close()
		t.Fatal("a WHIP publisher with H264 sending VP8 connected")
	}
	if !strings.Contains(err.Error(), "sends H.264 alone") {
		t.Errorf("error %q does not say why", err)
	}
}

// TestDecodingReceiverRecoversFromLoss: a decoding client that loses a
// packet of the mix now and then (thrown away before its NACKs could ask
// for it) gives that picture up after a bounded wait, asks for a keyframe
// and shows the mix again, as a browser does; it used to hold every later
// picture until 256 more packets had come.
func TestDecodingReceiverRecoversFromLoss(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "loss", Decode: true, LoseVideo: 150,
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.WaitFrames(1, 10*time.Second) < 1 {
		t.Fatal("no picture of the mix within 10 s")
	}
	// Watch the decoded picture for a while: it must change often, through
	// several losses.
	const watch = 8 * time.Second
	start := time.Now()
	before := c.Stats()
	last, changed := c.Picture(), start
	var longest time.Duration
	for now := start; now.Sub(start) < watch; now = time.Now() {
		time.Sleep(10 * time.Millisecond)
		if p := c.Picture(); p != last {
			longest = max(longest, time.Since(changed))
			last, changed = p, time.Now()
		}
	}
	longest = max(longest, time.Since(changed))
	after := c.Stats()
	received := after.Frames - before.Frames
	t.Logf("over %v: %d pictures received, %d keyframe requests sent, %d keyframes; longest without a new picture %v",
		watch, received, after.KeyframeRequests-before.KeyframeRequests, after.Keyframes-before.Keyframes, longest)
	if after.KeyframeRequests == before.KeyframeRequests {
		t.Error("no keyframe request after the losses")
	}
	if longest > 1500*time.Millisecond {
		t.Errorf("the decoded picture stood still for %v: want a loss to cost under 1.5 s", longest)
	}
}

// TestConnectRefusesAnUnknownH264Level: a level that is none of the
// standard's (which would make a profile-level-id the server refuses, or
// one of seven digits) is refused before anything is sent.
func TestConnectRefusesAnUnknownH264Level(t *testing.T) {
	for _, l := range []codec.H264Level{5, 14, 300} {
		_, err := client.Connect(t.Context(), client.Options{Server: "http://127.0.0.1:1", Room: "r", H264: true, H264Level: l})
		if err == nil || !strings.Contains(err.Error(), "H.264 level") {
			t.Errorf("level %d: %v, want refused", l, err)
		}
	}
}
