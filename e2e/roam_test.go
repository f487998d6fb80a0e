package e2e_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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

// cuttableServer starts a server (its configuration changed by mutate,
// if not nil) whose media all go through one UDP socket whose paths the
// test can cut.
func cuttableServer(t *testing.T, mutate func(*room.Config)) (*testserver.Server, *cutConn) {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	conn := &cutConn{PacketConn: udp, seen: map[string]bool{}, cut: map[string]bool{}}
	return testserver.Start(t, func(c *room.Config) {
		c.Net.UDPMux = conn
		if mutate != nil {
			mutate(c)
		}
	}), conn
}

// patchProxy serves server's address through a proxy that answers the
// PATCHes refuse says to (given their count so far, from 1) with 503,
// and returns the proxy's URL and the count.
func patchProxy(t *testing.T, server string, refuse func(n int32) bool) (string, *atomic.Int32) {
	t.Helper()
	target, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	var patches atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch && refuse(patches.Add(1)) {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			http.Error(w, `{"error": "a hiccup"}`, http.StatusServiceUnavailable)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL, &patches
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
	srv, conn := cuttableServer(t, nil)
	// The page reaches the server through a proxy that refuses the first
	// PATCH.
	proxy, patches := patchProxy(t, srv.URL, func(n int32) bool { return n == 1 })
	page := servePage(t, proxy)
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

// TestDemoPageJoinsAgainAfterALongOutage: a network gone longer than the
// server keeps a silent session (no ICE restart gets through: the proxy in
// front refuses them all), and the demo page joins again by itself once it
// learns the session ended, with the same name: the mix comes back in a
// new session.
func TestDemoPageJoinsAgainAfterALongOutage(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv, conn := cuttableServer(t, func(c *room.Config) {
		c.Net.PeerTimeout = 8 * time.Second // past the browser's ~5.5 s to notice
	})
	proxy, patches := patchProxy(t, srv.URL, func(int32) bool { return true })
	const roomName = "e2e-outage"
	b := launch(t, p, fakeMedia(t, participants(t, 4))[0], proxy+"/#"+roomName, `document.getElementById("room").value !== ""`)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Roamer"))
	_, click, _ := pageActions(t, b)
	click("Join", "#join")
	inRoom := fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName))
	waitFor(t, b, joinTimeout, inRoom)
	info, _ := getRoom(t, srv.URL, roomName)
	if len(info.Participants) != 1 {
		t.Fatalf("the room lists %d participants, want 1", len(info.Participants))
	}
	first := info.Participants[0].ID
	click("Mute microphone", "#mic") // and it stays muted in the new session

	conn.cutAll()
	cutAt := time.Now()
	deadline := time.Now().Add(25 * time.Second)
	for {
		info, _ = getRoom(t, srv.URL, roomName)
		if len(info.Participants) == 1 && info.Participants[0].ID != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("25 s after the cut the room lists %+v, want Roamer joined again in a new session", info.Participants)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the page joined again %v after the cut (%d restarts refused)", time.Since(cutAt).Round(time.Millisecond), patches.Load())
	waitFor(t, b, joinTimeout, inRoom)
	waitFor(t, b, 10*time.Second, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 1280 && !v.paused; })()`)
	info, _ = getRoom(t, srv.URL, roomName)
	if len(info.Participants) != 1 || info.Participants[0].ID == first || info.Participants[0].Name != "Roamer" {
		t.Errorf("after the outage the room lists %+v, want Roamer alone in a new session (not %s)", info.Participants, first)
	}
	if patches.Load() == 0 {
		t.Error("the page tried no ICE restart before it joined again")
	}
	if got := eval[string](t, b, evalTimeout, `document.getElementById("error").textContent`); !strings.HasPrefix(got, "Your connection to "+roomName+" was down too long") {
		t.Errorf("after joining again the page says %q, want why", got)
	}
	if mic, tracks := eval[string](t, b, evalTimeout, `document.getElementById("mic").textContent`), eval[string](t, b, evalTimeout, selfTracks); mic != "Unmute microphone" || tracks != "audio false, video true" {
		t.Errorf("after joining again the microphone button says %q and the local tracks are %q, want it still muted", mic, tracks)
	}
	t.Logf("back in the room %v after the cut", time.Since(cutAt).Round(time.Millisecond))
}
