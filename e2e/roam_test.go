package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/internal/testserver"
	"mcu/room"
)

// cutConn is the server's shared UDP socket with a switch that cuts the
// paths to and from every address heard from so far, as when a phone
// leaves a Wi-Fi network; packets from new addresses get through.
type cutConn struct {
	net.PacketConn
	mu        sync.Mutex
	seen, cut map[string]bool
}

func (c *cutConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		c.mu.Lock()
		c.seen[addr.String()] = true
		dead := c.cut[addr.String()]
		c.mu.Unlock()
		if !dead {
			return n, addr, nil
		}
	}
}

func (c *cutConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	dead := c.cut[addr.String()]
	c.mu.Unlock()
	if dead {
		return len(p), nil // lost on the way
	}
	return c.PacketConn.WriteTo(p, addr)
}

// cutAll cuts every path heard from so far and returns how many.
func (c *cutConn) cutAll() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for a := range c.seen {
		c.cut[a] = true
	}
	return len(c.cut)
}

// cuttableServer starts a server whose media all go through one UDP
// socket whose paths the test can cut.
func cuttableServer(t *testing.T) (*testserver.Server, *cutConn) {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	conn := &cutConn{PacketConn: udp, seen: map[string]bool{}, cut: map[string]bool{}}
	return testserver.Start(t, func(c *room.Config) { c.Net.UDPMux = conn }), conn
}

// TestICERestartWhenTheNetworkGoes: a browser's network path to the server
// dies; mcu.js sees its connection drop and restarts ICE through the
// server by itself, over new candidates, and the mix comes back to the
// same session before the server would have given it up. Its first
// restart fails (the server's HTTP side has a hiccup: 503), and it tries
// again.
func TestICERestartWhenTheNetworkGoes(t *testing.T) {
	requireTools(t)
	people := participants(t, conferenceIDs[0])
	srv, conn := cuttableServer(t)
	// The page reaches the server through a proxy that refuses the first
	// PATCH.
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	var patches atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && patches.Add(1) == 1 {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			http.Error(w, `{"error": "a hiccup"}`, http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	page := servePage(t, proxy.URL)
	b := launch(t, people[0], fakeMedia(t, people)[0], page, "window.mcuTestReady === true")
	const roomName = "e2e-roam"
	eval[map[string]string](t, b, joinTimeout, fmt.Sprintf("mcuTest.join(%s, %s)", jsString(roomName), jsString(b.p.Name)))
	decoded := func() int { return b.stats(t).Video.FramesDecoded }
	waitFor(t, b, 10*time.Second, "mcuTest.stats().then((s) => (s.video?.framesDecoded ?? 0) > 30)")
	info, _ := getRoom(t, srv.URL, roomName)
	if len(info.Participants) != 1 {
		t.Fatalf("the room lists %d participants, want 1", len(info.Participants))
	}
	id := info.Participants[0].ID

	cut := conn.cutAll()
	t.Logf("cut the paths from %d addresses", cut)
	cutAt := time.Now()
	waitFor(t, b, 15*time.Second, `["disconnected", "failed", "checking"].includes(mcuTest.state().ice)`)
	t.Logf("the page saw its connection drop after %v", time.Since(cutAt).Round(time.Millisecond))
	before := decoded()
	deadline := time.Now().Add(20 * time.Second)
	for decoded() < before+30 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if got := decoded() - before; got < 30 {
		t.Fatalf("%d pictures decoded in the 20 s after the page saw its connection drop, want it back (state %v)",
			got, eval[map[string]string](t, b, evalTimeout, "mcuTest.state()"))
	}
	t.Logf("the mix came back %v after the cut", time.Since(cutAt).Round(time.Millisecond))
	if n := patches.Load(); n < 2 {
		t.Errorf("%d PATCHes reached the proxy, want the refused restart and another", n)
	}
	info, _ = getRoom(t, srv.URL, roomName)
	if len(info.Participants) != 1 || info.Participants[0].ID != id {
		t.Errorf("after the restart the room lists %+v, want the same session %s", info.Participants, id)
	}
}
