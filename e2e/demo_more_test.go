package e2e_test

// Tests of the demo page and mcu.js against what browsers and servers do
// around them (one Chromium each, short).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
)

// proxiedFront serves srv through a proxy that can answer for it: the
// room's reads 503 (with Retry-After) while the flag returned is set, and
// a join by the name "Busy" 503.
func proxiedFront(t *testing.T, server string) (string, *atomic.Bool) {
	t.Helper()
	target, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	failReads := new(atomic.Bool)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page reads its room through its session (and the API before
		// it joins).
		roomRead := strings.HasPrefix(r.URL.Path, "/api/rooms/") || strings.Contains(r.URL.Path, "/sessions/")
		if failReads.Load() && r.Method == http.MethodGet && roomRead {
			w.Header().Set("Retry-After", "5")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"overloaded"}`)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/join") && strings.Contains(r.URL.RawQuery, "name=Busy") {
			w.Header().Set("Retry-After", "5")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"the server has as many rooms as it may"}`)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front.URL, failReads
}

// TestMcuJSErrorShapes: errorFromResponse on a JSON error body whose
// "error" is not a string (a gateway's {"error": {"code", "message"}});
// a join whose offer the browser never makes fails in its time, or at
// its cancel, without asking the server.
func TestMcuJSErrorShapes(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	front, _ := proxiedFront(t, srv.URL)
	b := launch(t, p, media, front+"/#rv", `document.getElementById("room").value !== ""`)
	msg := eval[string](t, b, evalTimeout, `import("/mcu.js").then((m) => m.errorFromResponse(new Response('{"error":{"code":502,"message":"upstream connect error"}}', { status: 502 }), "Join failed")).then((e) => e.name + ": " + e.message, (e) => "threw " + e.name + ": " + e.message)`)
	t.Logf("errorFromResponse: %s", msg)
	if !strings.HasPrefix(msg, "McuError: Join failed: HTTP 502") {
		t.Errorf("a 502 whose JSON error is an object: %q, want an McuError saying HTTP 502", msg)
	}
	// A proxy's error page (nginx's, the server restarting behind it):
	// its title, not its markup.
	msg = eval[string](t, b, evalTimeout, `import("/mcu.js").then((m) => m.errorFromResponse(new Response('<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>', { status: 502, headers: { "Content-Type": "text/html" } }), "Join failed")).then((e) => e.message, (e) => "threw " + e.message)`)
	if msg != "Join failed: HTTP 502: Bad Gateway." {
		t.Errorf("a proxy's HTML error page: %q, want \"Join failed: HTTP 502: Bad Gateway.\"", msg)
	}
	// A room token refused says why (an expired invitation is not a
	// wrong token): the server's 401 is played by the page's fetch.
	msg = eval[string](t, b, evalTimeout, `import("/mcu.js").then(async (m) => {
		const real = window.fetch;
		window.fetch = async () => new Response('{"error":"roomtoken: invalid token: expired 2025-01-01T00:00:00Z"}', { status: 401, headers: { "Content-Type": "application/json" } });
		try {
			return await m.join({ room: "rv-token", name: "Late", token: "an.expired.token" }).then(() => "joined", (e) => e.message);
		} finally {
			window.fetch = real;
		}
	})`)
	if !strings.Contains(msg, "refused the token given (it needs another): expired 2025-01-01T00:00:00Z") {
		t.Errorf("a join with an expired room token: %q, want the refusal with its reason", msg)
	}
	// The browser leaves the join's offer unsettled (setLocalDescription
	// never settles, as on a connection closed meanwhile): the join is
	// given up after its joinTimeoutMs, and at once when cancelled.
	stuck := eval[[]string](t, b, 20*time.Second, `import("/mcu.js").then(async (m) => {
		const proto = RTCPeerConnection.prototype, apply = proto.setLocalDescription;
		proto.setLocalDescription = () => new Promise(() => {});
		try {
			const how = (e) => e.name + " " + e.status + ": " + e.message;
			const t0 = performance.now();
			const late = await m.join({ room: "rv-stuck", name: "Stuck", joinTimeoutMs: 1500 }).then(() => "joined", how);
			const t1 = performance.now();
			const c = new AbortController();
			setTimeout(() => c.abort(), 300);
			const cancelled = await m.join({ room: "rv-stuck", name: "Stuck", signal: c.signal }).then(() => "joined", how);
			const t2 = performance.now();
			return [late, String(Math.round(t1 - t0)), cancelled, String(Math.round(t2 - t1))];
		} finally {
			proto.setLocalDescription = apply;
		}
	})`)
	t.Logf("joins whose offer is never made: %q", stuck)
	if ms, _ := strconv.Atoi(stuck[1]); !strings.Contains(stuck[0], "did not make its offer within 1.5 s") || ms < 1400 || ms > 4000 {
		t.Errorf("a join whose offer is never made (joinTimeoutMs 1500): %q after %s ms; want the McuError saying so after 1.5 s", stuck[0], stuck[1])
	}
	if ms, _ := strconv.Atoi(stuck[3]); stuck[2] != "McuError 0: Join cancelled." || ms > 2000 {
		t.Errorf("a join whose offer is never made, cancelled after 300 ms: %q after %s ms; want \"Join cancelled.\" at once", stuck[2], stuck[3])
	}
	resp, err := http.Get(srv.URL + "/api/rooms/rv-stuck")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the joins whose offer was never made reached the server: the room reads %s", resp.Status)
	}
	// The room field's pattern (compiled with the v flag by current
	// browsers) accepts what the server accepts and refuses the rest.
	got := eval[string](t, b, evalTimeout, `(() => { const r = document.getElementById("room"); return ["a-b", "_x", "-x", "a b", "a".repeat(64), "a".repeat(65)].map((v) => { r.value = v; return v.length + ":" + r.validity.valid; }).join(" "); })()`)
	if got != "3:true 2:true 2:false 3:false 64:true 65:false" {
		t.Errorf("room pattern validity: %s", got)
	}
	// A join the server refuses (503): the error is told, and the keyboard's
	// focus is back on the form (Join was focused, then disabled while joining).
	eval[bool](t, b, evalTimeout, `(document.getElementById("room").value = "rv", true)`)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Busy"))
	do(t, b, evalTimeout, "focus Join", chromedp.Focus(chromedp.ID("join")))
	do(t, b, evalTimeout, "press Enter", chromedp.KeyEvent("\r"))
	waitFor(t, b, joinTimeout, `(() => { const e = document.getElementById("error"); return !e.hidden && e.textContent.startsWith("Join failed") && !document.getElementById("join").disabled; })()`)
	focus := eval[string](t, b, evalTimeout, `(document.activeElement?.id || document.activeElement?.tagName) + "; " + document.getElementById("error").textContent`)
	t.Logf("after a refused join: focus on %s", focus)
	if !strings.HasPrefix(focus, "join;") && !strings.HasPrefix(focus, "room;") && !strings.HasPrefix(focus, "name;") {
		t.Errorf("after a refused join the focus is on %q, want the form (Join)", focus)
	}
}

// TestDemoCameraBlockedMicAllowed: a person who blocked the camera
// for the site but allows the microphone (both are per-device settings in
// Chromium and Firefox) joins with the microphone, as one without a camera
// does, and turns the camera on in the call once it is allowed.
func TestDemoCameraBlockedMicAllowed(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	front, _ := proxiedFront(t, srv.URL)
	const roomName = "rv-cam-blocked"
	b := launchBrowser(t, p, media, front+"/#"+roomName, `document.getElementById("room").value !== ""`, false)
	set := func(name string, s cdpbrowser.PermissionSetting) {
		t.Helper()
		if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: s, Origin: front}); err != nil {
			t.Fatalf("set %s %s: %v", name, s, err)
		}
	}
	set("camera", cdpbrowser.PermissionSettingDenied)
	set("microphone", cdpbrowser.PermissionSettingGranted)
	// What the browser itself answers (no stub).
	probe := eval[string](t, b, evalTimeout, `Promise.all([{ audio: true, video: true }, { audio: true }, { video: true }].map((c) => navigator.mediaDevices.getUserMedia(c).then((s) => { s.getTracks().forEach((t) => t.stop()); return JSON.stringify(c) + " ok"; }, (e) => JSON.stringify(c) + " " + e.name))).then((r) => r.join("; "))`)
	t.Logf("getUserMedia with the camera blocked, the microphone allowed: %s", probe)
	_, click, _ := pageActions(t, b)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Mic"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	state := eval[string](t, b, evalTimeout, `["camera", "mic"].map((id) => id + " " + JSON.stringify(document.getElementById(id).textContent) + " disabled " + document.getElementById(id).disabled).join(", ") + "; tracks: " + document.getElementById("self").srcObject.getTracks().map((t) => t.kind).join(",") + "; error: " + document.getElementById("error").textContent`)
	t.Logf("joined: %s", state)
	if !strings.HasPrefix(state, `camera "Turn camera on" disabled false, mic "Mute microphone" disabled false; tracks: audio;`) {
		t.Errorf("camera blocked, microphone allowed: %s; want to join with the microphone, the camera's button offering to turn it on", state)
	}
	// The camera allowed in the call: its button sends it, in the same
	// session (no new offer: the server takes none).
	sessions := func() []participantInfo {
		info, _ := getRoom(t, srv.URL, roomName)
		return info.Participants
	}
	before := sessions()
	if len(before) != 1 || before[0].VideoCodec != "" {
		t.Fatalf("before the camera is turned on the room lists %+v, want one person sending no video", before)
	}
	set("camera", cdpbrowser.PermissionSettingGranted)
	click("Turn camera on", "#camera")
	deadline := time.Now().Add(uiTimeout)
	for now := sessions(); len(now) != 1 || now[0].VideoCodec == "" || now[0].ID != before[0].ID; now = sessions() {
		if time.Now().After(deadline) {
			t.Fatalf("%v after the camera was turned on the room lists %+v (before: %+v); page: %s", uiTimeout, now, before,
				eval[string](t, b, evalTimeout, `document.getElementById("camera").textContent + "; " + document.getElementById("error").textContent`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if cam := eval[string](t, b, evalTimeout, `document.getElementById("camera").textContent + "; " + document.getElementById("self").srcObject.getVideoTracks().length`); cam != "Turn camera off; 1" {
		t.Errorf("with the camera on: button and the page's own video tracks %q, want \"Turn camera off; 1\"", cam)
	}
	_, _, waitText := pageActions(t, b)
	click("Leave", "#leave")
	waitText("status", "You left "+roomName)

	// Both refused: the page joins to watch and listen (Chromium then
	// hides its host addresses behind mDNS names), and the mix plays.
	set("camera", cdpbrowser.PermissionSettingDenied)
	set("microphone", cdpbrowser.PermissionSettingDenied)
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	waitFor(t, b, uiTimeout, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 1280 && !v.paused; })()`)
	if msg := eval[string](t, b, evalTimeout, `document.getElementById("error").textContent`); !strings.Contains(msg, "refused") {
		t.Errorf("both refused: the page says %q", msg)
	}
	if info, _ := getRoom(t, srv.URL, roomName); len(info.Participants) != 1 || info.Participants[0].Name != "Mic" {
		t.Errorf("both refused: the server lists %+v", info.Participants)
	}
}

// TestDemoAnnouncementsAndUnload: while nothing changes in the room,
// the polls rewrite neither the recording line (aria-live: a screen
// reader announces every write) nor the participant list (rebuilt, a
// screen reader's place in it is lost); after a leave the polls stop and
// every peer connection is closed; a page closed in a call tells the
// server at once (keepalive DELETE), not after its peer timeout.
func TestDemoAnnouncementsAndUnload(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	front, failReads := proxiedFront(t, srv.URL)
	const roomName = "rv-live"
	b := launch(t, p, media, front+"/#"+roomName, `document.getElementById("room").value !== ""`)
	// Count the peer connections made, and the room reads sent.
	eval[bool](t, b, evalTimeout, `(() => {
		const PC = window.RTCPeerConnection;
		window.pcs = [];
		window.RTCPeerConnection = function (...a) { const pc = new PC(...a); pcs.push(pc); return pc; };
		window.RTCPeerConnection.prototype = PC.prototype;
		const f = window.fetch;
		window.reads = 0;
		window.fetch = (u, o) => { if (String(u).includes("/sessions/") && (o?.method ?? "GET") === "GET") reads++; return f(u, o); };
		return true;
	})()`)
	_, click, waitText := pageActions(t, b)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	waitText("people", "Ada (you)")
	waitFor(t, b, uiTimeout, `document.querySelector("#people .voice") !== null`) // the tone is heard
	click("Turn camera off", "#camera")
	click("Mute microphone", "#mic") // nothing changes in the list from here
	click("Start recording", "#record")
	waitText("recording", "Recording to /")
	waitFor(t, b, uiTimeout, `document.querySelector("#people .voice") === null`) // the mute shows in the list
	time.Sleep(2 * time.Second)
	// A write is needless when what it shows is what was shown before it.
	// The list may change for real meanwhile: Chromium's encoder raises
	// the picture size as its bandwidth estimate grows, even for a camera
	// turned off, and the list shows each person's size.
	eval[bool](t, b, evalTimeout, `(() => {
		window.writes = { recording: 0, people: 0 };
		window.seen = [];
		for (const id of ["recording", "people"]) {
			const el = document.getElementById(id);
			let last = el.textContent + "|" + (el.dataset.shown ?? "");
			new MutationObserver(() => {
				const now = el.textContent + "|" + (el.dataset.shown ?? "");
				seen.push(id + ": " + now);
				if (now === last) writes[id]++;
				last = now;
			}).observe(el, { childList: true, characterData: true, subtree: true });
		}
		window.readsAt = reads;
		return true;
	})()`)
	time.Sleep(4 * time.Second) // two polls or more
	w := eval[map[string]int](t, b, evalTimeout, `writes`)
	polls := eval[int](t, b, evalTimeout, `reads - readsAt`)
	t.Logf("in %d polls: needless writes %v; changes seen %q", polls, w, eval[[]string](t, b, evalTimeout, `seen`))
	if polls < 2 {
		t.Fatalf("%d polls in 4 s", polls)
	}
	if w["recording"] != 0 {
		t.Errorf("the recording line (aria-live) was written %d times in %d polls with the same text", w["recording"], polls)
	}
	if w["people"] != 0 {
		t.Errorf("the participant list was rebuilt %d times in %d polls with the same people", w["people"], polls)
	}
	// The room's state cannot be read for a while (the server or a proxy
	// answers 503): the error line, an alert a screen reader announces at
	// every write, says so once, not at every poll.
	eval[bool](t, b, evalTimeout, `(() => { window.alerts = 0; new MutationObserver((r) => (alerts += r.length)).observe(document.getElementById("error"), { childList: true, characterData: true, subtree: true }); window.readsAt = reads; return true; })()`)
	failReads.Store(true)
	time.Sleep(4500 * time.Millisecond)
	alerts, failed := eval[int](t, b, evalTimeout, `alerts`), eval[int](t, b, evalTimeout, `reads - readsAt`)
	failReads.Store(false)
	t.Logf("%d reads refused (503, Retry-After 5): error line written %d times", failed, alerts)
	if alerts > 1 {
		t.Errorf("%d reads refused with the same error: the alert line was written %d times, want once", failed, alerts)
	}
	waitFor(t, b, uiTimeout, `document.getElementById("error").hidden`)
	click("Stop recording", "#record")
	waitText("recording", "Saved /")
	if saved := strings.TrimPrefix(eval[string](t, b, evalTimeout, `document.getElementById("recording").textContent`), "Saved "); filepath.IsAbs(saved) {
		os.Remove(saved)
	}

	// Leave: no poll after, every peer connection closed.
	click("Leave", "#leave")
	waitText("status", "You left "+roomName)
	eval[bool](t, b, evalTimeout, `(window.readsAt = reads, true)`)
	time.Sleep(3 * time.Second)
	if left := eval[string](t, b, evalTimeout, `(reads - readsAt) + " reads; pcs " + pcs.map((pc) => pc.connectionState + "/" + pc.signalingState).join(",")`); !strings.HasPrefix(left, "0 reads;") || strings.Contains(left, "/stable") {
		t.Errorf("3 s after the leave: %s; want no reads and every peer connection closed", left)
	}

	// Join again, then the tab goes (navigated away): the server learns it at once.
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	if info, found := getRoom(t, srv.URL, roomName); !found || len(info.Participants) != 1 {
		t.Fatalf("rejoined: the server lists %+v", info.Participants)
	}
	do(t, b, evalTimeout, "navigate away", chromedp.Navigate("about:blank"))
	gone := time.Now()
	for {
		if _, found := getRoom(t, srv.URL, roomName); !found {
			break
		}
		if time.Since(gone) > 3*time.Second {
			t.Fatal("3 s after the page went the server still lists its session")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the server dropped the session %v after the page went", time.Since(gone).Round(time.Millisecond))
}

// TestDemoCameraOffTile: what the others see of a person who turned
// their camera off on the page (track.enabled = false), beside what they
// see of a person who joined without a camera (the name's placeholder).
func TestDemoCameraOffTile(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "rv-camoff"
	b := launch(t, p, media, srv.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	_, click, waitText := pageActions(t, b)
	// bright is the share of the mix's pixels brighter than mid-grey.
	const bright = `(() => { const v = document.getElementById("mix"), c = document.createElement("canvas"); c.width = 320; c.height = 180; const g = c.getContext("2d"); g.drawImage(v, 0, 0, 320, 180); const d = g.getImageData(0, 0, 320, 180).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 3 * 128) n++; return n / (d.length / 4); })()`
	measure := func(what string) float64 {
		t.Helper()
		waitFor(t, b, uiTimeout, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 1280 && !v.paused; })()`)
		time.Sleep(3 * time.Second)
		f := eval[float64](t, b, evalTimeout, bright)
		t.Logf("%s: %.4f of the mix's pixels are bright", what, f)
		return f
	}
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	measure("camera on")
	click("Turn camera off", "#camera")
	off := measure("camera turned off")
	click("Leave", "#leave")
	waitText("status", "You left "+roomName)
	eval[bool](t, b, evalTimeout, `(() => { const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md); md.getUserMedia = (c) => c.video ? Promise.reject(new DOMException("No camera", "NotFoundError")) : gum(c); return true; })()`)
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	none := measure("no camera (placeholder)")
	if off < none/4 {
		t.Errorf("a camera turned off shows %.4f bright pixels, a person without a camera %.4f: the tile is black, without the name", off, none)
	}
}
