package e2e_test

// mcu.js and the demo page under join/leave cycles, ICE restarts the
// server refuses (429), a server restarting under a joined page, and the
// keyboard alone.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
)

// wcProxy serves the server at *target through a front that counts the
// requests by method and status, and, while down is set, drops every
// connection (a server process that is gone).
type wcProxy struct {
	URL    string
	target atomic.Pointer[url.URL]
	down   atomic.Bool
	mu     sync.Mutex
	seen   []string // "METHOD path status"
	// refusePatch, if set, answers the nth PATCH (from 1) itself with
	// a 429 and Retry-After: 1 when it returns true.
	refusePatch func(n int) bool
	patches     int
	patchTimes  []time.Time
}

func newWCProxy(t *testing.T, server string) *wcProxy {
	t.Helper()
	p := &wcProxy{}
	p.setTarget(t, server)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0)
					}
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if r.Method == http.MethodPatch {
			p.mu.Lock()
			p.patches++
			n := p.patches
			p.patchTimes = append(p.patchTimes, time.Now())
			p.mu.Unlock()
			if p.refusePatch != nil && p.refusePatch(n) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
				w.Header().Set("Retry-After", "1")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":"too many ICE restarts of this session in a short time; try again in a second"}`)
				p.mu.Lock()
				p.seen = append(p.seen, fmt.Sprintf("%s %s 429 (proxy)", r.Method, r.URL.Path))
				p.mu.Unlock()
				return
			}
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		httputil.NewSingleHostReverseProxy(p.target.Load()).ServeHTTP(rec, r)
		p.mu.Lock()
		p.seen = append(p.seen, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.status))
		p.mu.Unlock()
	}))
	t.Cleanup(front.Close)
	p.URL = front.URL
	return p
}

func (p *wcProxy) setTarget(t *testing.T, server string) {
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	p.target.Store(u)
}

// requests returns the requests seen whose "METHOD path status" matches re.
func (p *wcProxy) requests(re string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.seen {
		if regexp.MustCompile(re).MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// liveObjects collects the page's garbage and counts the objects left whose
// prototype is proto (a JavaScript expression: "RTCPeerConnection.prototype").
func liveObjects(t *testing.T, b *browser, proto string) int {
	t.Helper()
	n := -1
	do(t, b, evalTimeout, "count "+proto, chromedp.Func(func(ctx2 context.Context, _ *chromedp.Target) error {
		for range 3 {
			if _, err := chromedp.Call(ctx2, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				return err
			}
		}
		res, err := chromedp.Call(ctx2, runtime.Evaluate, runtime.EvaluateParams{Expression: proto})
		if err != nil {
			return err
		}
		if res.Result == nil || res.Result.ObjectID == "" {
			return fmt.Errorf("%s: no object", proto)
		}
		q, err := chromedp.Call(ctx2, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: res.Result.ObjectID})
		if err != nil {
			return err
		}
		m := regexp.MustCompile(`^Array\((\d+)\)$`).FindStringSubmatch(q.Objects.Description)
		if m == nil {
			return fmt.Errorf("queryObjects: %q", q.Objects.Description)
		}
		n, _ = strconv.Atoi(m[1])
		return nil
	}))
	return n
}

// describeObjects collects the garbage and describes the live objects of
// prototype proto with the JavaScript function describe (its this is the
// array of them).
func describeObjects(t *testing.T, b *browser, proto, describe string) string {
	t.Helper()
	var out string
	do(t, b, evalTimeout, "describe "+proto, chromedp.Func(func(ctx2 context.Context, _ *chromedp.Target) error {
		for range 3 {
			if _, err := chromedp.Call(ctx2, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
				return err
			}
		}
		res, err := chromedp.Call(ctx2, runtime.Evaluate, runtime.EvaluateParams{Expression: proto})
		if err != nil {
			return err
		}
		q, err := chromedp.Call(ctx2, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: res.Result.ObjectID, ObjectGroup: "wc"})
		if err != nil {
			return err
		}
		rv := true
		r, err := chromedp.Call(ctx2, runtime.CallFunctionOn, runtime.CallFunctionOnParams{FunctionDeclaration: describe, ObjectID: q.Objects.ObjectID, ReturnByValue: &rv})
		if err != nil {
			return err
		}
		if r.ExceptionDetails != nil {
			return fmt.Errorf("describe: %s", r.ExceptionDetails.Text)
		}
		out = string(r.Result.Value)
		_, err = chromedp.Call(ctx2, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: "wc"})
		return err
	}))
	return out
}

// instrument counts, from now on, the page's pending timers (setTimeout
// not yet fired nor cleared) and the event listeners added to long-lived
// targets (window, document, elements, the camera's tracks) and not
// removed.
const instrument = `(() => {
	const st = window.setTimeout, ct = window.clearTimeout;
	window.pendingTimers = new Map();
	window.setTimeout = function (f, ms, ...a) {
		const id = st(function () { pendingTimers.delete(id); return typeof f === "function" ? f.apply(this, a) : undefined; }, ms);
		const where = (new Error().stack || "").split("\n").slice(2, 4).join(" | ");
		if (/mcu\.js|app\.js/.test(where)) pendingTimers.set(id, where);
		return id;
	};
	window.clearTimeout = function (id) { pendingTimers.delete(id); return ct(id); };
	const add = EventTarget.prototype.addEventListener, rem = EventTarget.prototype.removeEventListener;
	window.listenerCounts = {};
	const key = (target, type) => (target === window ? "window" : target === document ? "document" : target.constructor.name) + ":" + type;
	const lasting = (target) => target === window || target === document || target instanceof Element;
	EventTarget.prototype.addEventListener = function (type, fn, opts) {
		if (lasting(this) && !(opts && opts.once)) { const k = key(this, type); listenerCounts[k] = (listenerCounts[k] || 0) + 1; }
		return add.call(this, type, fn, opts);
	};
	EventTarget.prototype.removeEventListener = function (type, fn, opts) {
		if (lasting(this)) { const k = key(this, type); listenerCounts[k] = (listenerCounts[k] || 0) - 1; }
		return rem.call(this, type, fn, opts);
	};
	return true;
})()`

// TestWebclientJoinLeave50 joins and leaves 50 times with mcu.js (one
// camera stream throughout, as a page that keeps its preview), then 12
// times with the demo page's buttons, and counts what is left: peer
// connections, media streams, live tracks, pending timers, listeners.
func TestWebclientJoinLeave50(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "wc-cycles"
	b := launch(t, p, media, srv.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	eval[bool](t, b, evalTimeout, instrument)
	basePC := liveObjects(t, b, "RTCPeerConnection.prototype")
	baseMS := liveObjects(t, b, "MediaStream.prototype")
	eval[bool](t, b, evalTimeout, `navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180 } }).then((s) => { window.cam = s; return true; })`)
	start := time.Now()
	for i := 0; i < 50; i += 5 {
		res := eval[string](t, b, 60*time.Second, `import("/mcu.js").then(async (m) => {
			for (let k = 0; k < 5; k++) {
				const s = await m.join({ room: `+jsString(roomName)+`, name: "cycle", stream: cam });
				await s.connected;
				await s.leave();
			}
			return "ok";
		}).catch((e) => "error: " + e.message)`)
		if res != "ok" {
			t.Fatalf("cycle %d: %s", i, res)
		}
	}
	t.Logf("50 joins and leaves with mcu.js in %v", time.Since(start).Round(time.Millisecond))
	if info, found := getRoom(t, srv.URL, roomName); found {
		t.Errorf("after 50 leaves the server still lists %+v", info.Participants)
	}
	pcs := liveObjects(t, b, "RTCPeerConnection.prototype") - basePC
	streams := liveObjects(t, b, "MediaStream.prototype") - baseMS
	state := eval[string](t, b, evalTimeout, `JSON.stringify({ timers: [...pendingTimers.values()], listeners: Object.fromEntries(Object.entries(listenerCounts).filter(([, n]) => n > 0)), camTracks: cam.getTracks().map((t) => t.readyState) })`)
	t.Logf("after 50 mcu.js cycles: %d more RTCPeerConnections, %d more MediaStreams alive; %s", pcs, streams, state)
	if pcs > 2 {
		t.Errorf("after 50 joins and leaves %d RTCPeerConnections are still alive after GC", pcs)
	}
	if streams > 3 {
		t.Errorf("after 50 joins and leaves %d more MediaStreams are alive after GC", streams)
	}
	if n := eval[int](t, b, evalTimeout, `pendingTimers.size`); n > 2 {
		t.Errorf("after 50 joins and leaves %d timers are pending", n)
	}

	// The demo page, with its buttons.
	_, click, waitText := pageActions(t, b)
	eval[bool](t, b, evalTimeout, `(cam.getTracks().forEach((t) => t.stop()), delete window.cam, true)`)
	eval[bool](t, b, evalTimeout, `(() => { window.gumStreams = []; const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md); md.getUserMedia = (c) => gum(c).then((s) => (gumStreams.push(new WeakRef(s)), s)); return true; })()`)
	eval[bool](t, b, evalTimeout, `(() => { const e = document.getElementById("status"); window.statusWrites = []; new MutationObserver(() => statusWrites.push(e.textContent)).observe(e, { childList: true, characterData: true, subtree: true }); return true; })()`)
	for i := range 12 {
		if i == 1 {
			// The status is a live region: each write is announced.
			writes := eval[[]string](t, b, evalTimeout, `statusWrites`)
			t.Logf("the status line's writes in a join and a leave: %q", writes)
			for k := 1; k < len(writes); k++ {
				if writes[k] == writes[k-1] {
					t.Errorf("the status line (aria-live) was written %q twice in a row: a screen reader says it twice", writes[k])
				}
			}
		}
		click("Join", "#join")
		waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
		waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("(you)")`) // in the room's list
		click("Leave", "#leave")
		waitText("status", "You left "+roomName)
		_ = i
	}
	pcs = liveObjects(t, b, "RTCPeerConnection.prototype") - basePC
	streams = liveObjects(t, b, "MediaStream.prototype") - baseMS
	state = eval[string](t, b, evalTimeout, `JSON.stringify({ timers: [...pendingTimers.values()], listeners: Object.fromEntries(Object.entries(listenerCounts).filter(([, n]) => n > 0)), liveCamTracks: gumStreams.map((r) => r.deref()).filter(Boolean).flatMap((s) => s.getTracks()).filter((t) => t.readyState === "live").length })`)
	t.Logf("after 12 demo page cycles too: %d more RTCPeerConnections, %d more MediaStreams alive; %s", pcs, streams, state)
	// Chromium keeps every getUserMedia stream (ended) whatever the page
	// does (a bare getUserMedia and stop, 5 times: 5 left after GC), so
	// they are only described here; the remote ones (the mixes) go.
	t.Logf("live MediaStreams: %s", describeObjects(t, b, "MediaStream.prototype", `function () { return this.map((s) => s.id.slice(0, 8) + " active=" + s.active + " [" + s.getTracks().map((t) => t.kind + ":" + t.readyState).join(",") + "]" + (s === document.getElementById("self").srcObject ? " self" : "") + (s === document.getElementById("mix").srcObject ? " mix" : "")).join("; "); }`))
	if pcs > 2 {
		t.Errorf("after the demo page's joins and leaves %d RTCPeerConnections are still alive after GC", pcs)
	}
	if n := eval[int](t, b, evalTimeout, `gumStreams.map((r) => r.deref()).filter(Boolean).flatMap((s) => s.getTracks()).filter((t) => t.readyState === "live").length`); n != 0 {
		t.Errorf("after the demo page's leaves %d camera or microphone tracks are still live", n)
	}
	if n := eval[int](t, b, evalTimeout, `pendingTimers.size`); n > 2 {
		t.Errorf("after the demo page's leaves %d timers are pending", n)
	}
	if n := eval[int](t, b, evalTimeout, `Object.values(listenerCounts).reduce((a, n) => a + Math.max(n, 0), 0)`); n > 4 {
		t.Errorf("after 12 joins and leaves of the demo page %d listeners on lasting targets were not removed", n)
	}
}

// TestWebclientRestart429: a page restarts its ICE on demand more often
// than the server allows (4 at once, then 1 a second; beyond, 429 with
// Retry-After: 1). What does session.restartIce() tell it?
func TestWebclientRestart429(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	px := newWCProxy(t, srv.URL)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "wc-429"
	b := launch(t, p, media, px.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	eval[bool](t, b, joinTimeout, `import("/mcu.js").then(async (m) => {
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180 } });
		window.s = await m.join({ room: `+jsString(roomName)+`, name: "R", stream });
		await s.connected;
		return true;
	})`)
	start := time.Now()
	out := eval[[]string](t, b, 60*time.Second, `(async () => {
		const out = [];
		for (let i = 0; i < 10; i++) {
			const t0 = performance.now();
			try {
				await s.restartIce();
				out.push("ok " + Math.round(performance.now() - t0) + " ms");
			} catch (e) {
				out.push(e.name + " " + e.status + " retryAfter=" + e.retryAfter + ": " + e.message);
			}
		}
		return out;
	})()`)
	t.Logf("10 restarts one after the other, in %v:\n%s", time.Since(start).Round(time.Millisecond), strings.Join(out, "\n"))
	t.Logf("PATCHes: %q", px.requests(`^PATCH `))
	if len(px.requests(`^PATCH .* 429$`)) == 0 {
		t.Fatal("the server refused no restart: the test did not reach its limit")
	}
	failed := 0
	for _, o := range out {
		if !strings.HasPrefix(o, "ok") {
			failed++
		}
		if strings.Contains(strings.ToLower(o), "room is full") {
			t.Errorf("a restart refused for its rate says %q: the room is not full", o)
		}
	}
	// The server said when to try again (a second): restartIce does, and
	// gets its restart, instead of failing.
	if failed > 0 {
		t.Errorf("%d of 10 restarts failed, though the server said to try again in a second", failed)
	}
	// Nor does it spin: no more PATCHes than restarts and one retry per refusal.
	if n, refused := len(px.requests(`^PATCH `)), len(px.requests(`^PATCH .* 429$`)); n > 10+refused {
		t.Errorf("%d PATCHes for 10 restarts, %d refused", n, refused)
	}
	if state := eval[string](t, b, evalTimeout, `s.pc.connectionState + " " + s.pc.signalingState`); state != "connected stable" {
		t.Errorf("after the restarts the connection is %s", state)
	}
	// A restart under way when the page leaves: how does it end?
	race := eval[string](t, b, 20*time.Second, `(async () => {
		const t0 = performance.now();
		const r = s.restartIce().then(() => "resolved", (e) => e.name + ": " + e.message);
		await s.leave();
		const left = Math.round(performance.now() - t0);
		const how = await r;
		const after = await s.restartIce().then(() => "resolved", (e) => e.name + ": " + e.message);
		window.restartSettledMs = Math.round(performance.now() - t0);
		return "left after " + left + " ms; the restart: " + how + " after " + restartSettledMs + " ms; a restart after the leave: " + after;
	})()`)
	reqs := px.requests(`^(PATCH|DELETE)`)
	t.Logf("restart, then leave at once: %s; requests: %q", race, reqs)
	if ms := eval[int](t, b, evalTimeout, `restartSettledMs`); ms > 1000 {
		t.Errorf("a restart under way when the session was left settled %d ms later (it waited for a gathering on the closed connection)", ms)
	}
	if n := len(reqs); n > 0 && !strings.HasPrefix(reqs[n-1], "DELETE ") {
		t.Errorf("a PATCH went to the server after the leave's DELETE: %q", reqs[n-1])
	}
	// The same when the leave closes the connection while the restart's
	// own offer is still being applied: a closed RTCPeerConnection
	// settles none of the operations queued on it, which a slow
	// setLocalDescription (a loaded machine) shows here, made slower on
	// purpose and never settling once the connection is closed.
	slow := eval[string](t, b, 20*time.Second, `import("/mcu.js").then(async (m) => {
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180 } });
		const s2 = await m.join({ room: `+jsString(roomName)+`, name: "R2", stream });
		await s2.connected;
		const pc = s2.pc;
		const apply = pc.setLocalDescription.bind(pc);
		let applying;
		const reached = new Promise((resolve) => (applying = resolve));
		pc.setLocalDescription = (d) => {
			applying();
			return apply(d).then((v) => new Promise((resolve) => setTimeout(() => pc.signalingState !== "closed" && resolve(v), 600)));
		};
		const t0 = performance.now();
		const r = s2.restartIce().then(() => "resolved", (e) => e.name + ": " + e.message);
		await reached;
		await s2.leave();
		stream.getTracks().forEach((t) => t.stop());
		const how = await r;
		window.slowSettledMs = Math.round(performance.now() - t0);
		return "the restart: " + how + " after " + slowSettledMs + " ms";
	})`)
	t.Logf("restart whose offer is still being applied, then leave: %s", slow)
	if ms := eval[int](t, b, evalTimeout, `slowSettledMs`); ms > 1000 {
		t.Errorf("a restart whose offer was being applied when the session was left settled %d ms later", ms)
	}
}

// TestWebclientServerRestart: the server under a joined demo page goes away
// (its process gone: its media stop, its HTTP connections are refused) and
// comes back after 12 s, empty. The page should be back in the room soon
// after, by itself.
func TestWebclientServerRestart(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv1, conn := cuttableServer(t, nil)
	srv2 := testserver.Start(t, nil)
	px := newWCProxy(t, srv1.URL)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "wc-restart"
	b := launch(t, p, media, px.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	_, click, _ := pageActions(t, b)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))
	click("Join", "#join")
	inRoom := fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName))
	waitFor(t, b, joinTimeout, inRoom)
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("(you)")`)
	time.Sleep(3 * time.Second) // polls see the mix come in

	conn.cutAll()
	px.down.Store(true)
	wentAt := time.Now()
	time.Sleep(12 * time.Second)
	shown := eval[string](t, b, evalTimeout, `document.getElementById("status").textContent + " | " + document.getElementById("error").textContent`)
	t.Logf("12 s after the server went the page shows: %s", shown)
	px.setTarget(t, srv2.URL)
	px.down.Store(false)
	backAt := time.Now()
	deadline := backAt.Add(40 * time.Second)
	for {
		if info, _ := getRoom(t, srv2.URL, roomName); len(info.Participants) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("40 s after the server came back the page has not joined again; it shows %s",
				eval[string](t, b, evalTimeout, `document.getElementById("status").textContent + " | " + document.getElementById("error").textContent`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(backAt)
	t.Logf("the page joined the restarted server %v after it came back (%v after it went); requests: %q", took.Round(time.Millisecond), time.Since(wentAt).Round(time.Millisecond), px.requests(`(PATCH|GET /api|POST)`))
	// The page's ICE restarts learn the session is gone (404) within 2 s of the
	// server's return: the page need not wait for its slowed-down poll.
	if took > 6*time.Second {
		t.Errorf("the page joined again %v after the server came back; its ICE restarts were told the session was gone (404) long before", took.Round(time.Millisecond))
	}
	waitFor(t, b, joinTimeout, inRoom)
}

// TestWebclientRestartBackoff: the page's network goes and its ICE
// restarts are refused with 429 (Retry-After: 1), three times: mcu.js
// tries again no sooner than a second after each refusal, and gets the
// mix back once they are taken.
func TestWebclientRestartBackoff(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv, conn := cuttableServer(t, nil)
	px := newWCProxy(t, srv.URL)
	px.refusePatch = func(n int) bool { return n <= 3 } // 3 refusals at 2 s fit the peer timeout (15 s)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "wc-backoff"
	b := launch(t, p, media, px.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	eval[bool](t, b, joinTimeout, `import("/mcu.js").then(async (m) => {
		const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180 } });
		window.s = await m.join({ room: `+jsString(roomName)+`, name: "R", stream });
		await s.connected;
		window.iceLog = [];
		const t0 = performance.now();
		const note = (what) => iceLog.push(Math.round(performance.now() - t0) + " " + what + " ice=" + s.pc.iceConnectionState + " sig=" + s.pc.signalingState + " pc=" + s.pc.connectionState);
		s.pc.addEventListener("iceconnectionstatechange", () => note("ice"));
		s.pc.addEventListener("signalingstatechange", () => note("sig"));
		const f = window.fetch;
		window.fetch = (u, o) => { if (o?.method === "PATCH") note("PATCH"); return f(u, o); };
		return true;
	})`)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("page: %q; PATCHes: %q", eval[[]string](t, b, evalTimeout, `iceLog`), px.requests("^PATCH"))
		}
	})
	conn.cutAll()
	cutAt := time.Now()
	waitFor(t, b, 40*time.Second, `(() => { const ok = s.pc.iceConnectionState === "connected" || s.pc.iceConnectionState === "completed"; return ok && window.wasDown; })() || ((window.wasDown ||= ["disconnected", "failed"].includes(s.pc.iceConnectionState)), false)`)
	px.mu.Lock()
	times := slicesClone(px.patchTimes)
	px.mu.Unlock()
	var gaps []string
	for i := 1; i < len(times); i++ {
		gap := times[i].Sub(times[i-1])
		gaps = append(gaps, gap.Round(time.Millisecond).String())
		if i <= 3 && gap < 900*time.Millisecond {
			t.Errorf("PATCH %d came %v after a 429 that said Retry-After: 1", i+1, gap.Round(time.Millisecond))
		}
	}
	t.Logf("back %v after the cut; %d PATCHes, apart: %v; %q", time.Since(cutAt).Round(time.Millisecond), len(times), gaps, px.requests("^PATCH"))
	eval[bool](t, b, evalTimeout, `s.leave().then(() => true)`)
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// TestWebclientKeyboard: the demo page with the keyboard alone: Enter in
// the room field joins, the focus lands on Leave, Space leaves, the focus
// is back on Join; Tab reaches Cancel during a join, and Enter on it
// cancels.
func TestWebclientKeyboard(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "wc-keys"
	b := launch(t, p, media, srv.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	focused := func() string {
		return eval[string](t, b, evalTimeout, `document.activeElement?.id || document.activeElement?.tagName`)
	}
	do(t, b, evalTimeout, "focus the room", chromedp.Focus(chromedp.ID("room")))
	do(t, b, evalTimeout, "press Enter", chromedp.KeyEvent("\r"))
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	if f := focused(); f != "leave" {
		t.Errorf("joined with Enter: the focus is on %q, want Leave", f)
	}
	do(t, b, evalTimeout, "press Space", chromedp.KeyEvent(" "))
	waitFor(t, b, uiTimeout, `document.getElementById("status").textContent.startsWith("You left")`)
	if f := focused(); f != "join" {
		t.Errorf("left with Space: the focus is on %q, want Join", f)
	}
	// A join that waits (the camera's answer held): Tab to Cancel.
	eval[bool](t, b, evalTimeout, `(() => { const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md); md.getUserMedia = (c) => new Promise((resolve) => { window.release = () => { delete md.getUserMedia; gum(c).then(resolve); return true; }; }); return true; })()`)
	do(t, b, evalTimeout, "press Enter on Join", chromedp.KeyEvent("\r"))
	waitFor(t, b, uiTimeout, `typeof release === "function"`)
	var path []string
	for range 6 {
		if f := focused(); f == "cancel" {
			break
		}
		do(t, b, evalTimeout, "press Tab", chromedp.KeyEvent("\t"))
		path = append(path, focused())
	}
	t.Logf("Tab during the join: %v", path)
	if f := focused(); f != "cancel" {
		t.Fatalf("6 Tabs during a join never reached Cancel: %v", path)
	}
	do(t, b, evalTimeout, "press Enter on Cancel", chromedp.KeyEvent("\r"))
	waitFor(t, b, uiTimeout, `document.getElementById("status").textContent === "Join cancelled."`)
	eval[bool](t, b, evalTimeout, `release()`)
	if f := focused(); f != "join" {
		t.Errorf("cancelled with Enter: the focus is on %q, want Join", f)
	}
}

// statusRec records the status a handler writes.
type statusRec struct {
	http.ResponseWriter
	code int
}

func (s *statusRec) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

// TestWebclientRoomNamedRoomsUnderRoomsPrefix: mcu served by a proxy under
// /rooms that leaves the Location as the server wrote it, and a room
// named "rooms": the server's /rooms/rooms/sessions/K begins with the
// prefix and a /rooms/, yet is not rewritten; the session's URL must be
// the session's, so that an ICE restart and the leave reach it (they got
// 404, taken for a session the server had ended).
func TestWebclientRoomNamedRoomsUnderRoomsPrefix(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	target, _ := url.Parse(srv.URL)
	toServer := http.StripPrefix("/rooms", httputil.NewSingleHostReverseProxy(target))
	var mu sync.Mutex
	var log []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRec{ResponseWriter: w, code: 200}
		toServer.ServeHTTP(rec, r)
		if r.Method == http.MethodDelete || r.Method == http.MethodPatch {
			mu.Lock()
			log = append(log, fmt.Sprintf("%s %s -> %d", r.Method, r.URL.Path, rec.code))
			mu.Unlock()
		}
	}))
	defer proxy.Close()
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, proxy.URL+"/rooms/#rooms", `document.getElementById("room").value !== ""`)
	loc := eval[string](t, b, joinTimeout, `import("/rooms/mcu.js").then((m) => m.join({ server: location.origin + "/rooms", room: "rooms" })).then((s) => { window.sess = s; return s.connected.then(() => s.location); }, (e) => "error: " + e.message)`)
	t.Logf("session location %s", loc)
	if want := proxy.URL + "/rooms/rooms/rooms/sessions/"; !strings.HasPrefix(loc, want) {
		t.Errorf("session location %q, want %s<key>", loc, want)
	}
	restart := eval[string](t, b, joinTimeout, `sess.restartIce().then(() => "ok", (e) => e.message)`)
	if restart != "ok" {
		t.Errorf("ICE restart: %s", restart)
	}
	left := eval[float64](t, b, evalTimeout, `sess.leave()`)
	mu.Lock()
	t.Logf("proxy saw %q; leave answered %v", log, left)
	mu.Unlock()
	if left != 200 {
		t.Errorf("leave answered %v, want 200 (the session's DELETE)", left)
	}
}

// TestWebclientPageGoneDuringJoin: the page goes (its pagehide aborts the
// join's signal, as the demo page's does) after the join's 201 and
// before setRemoteDescription has ended: the server must learn it at
// once, not after its peer timeout.
func TestWebclientPageGoneDuringJoin(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "gone-during-join"
	b := launch(t, p, media, srv.URL+"/#x", `document.getElementById("room").value !== ""`)
	eval[bool](t, b, evalTimeout, `(() => {
		const ac = new AbortController();
		addEventListener("pagehide", () => ac.abort());
		// A slow device: the answer takes a while to apply.
		const srd = RTCPeerConnection.prototype.setRemoteDescription;
		RTCPeerConnection.prototype.setRemoteDescription = function (d) { return new Promise((r) => setTimeout(r, 3000)).then(() => srd.call(this, d)); };
		const f = window.fetch;
		window.fetch = (u, o) => f(u, o).then((res) => { if (res.status === 201) setTimeout(() => location.replace("about:blank"), 50); return res; });
		import("/mcu.js").then((m) => m.join({ room: "`+roomName+`", signal: ac.signal })).catch(() => {});
		return true;
	})()`)
	var seenAt time.Time
	for start := time.Now(); time.Since(start) < joinTimeout; time.Sleep(20 * time.Millisecond) {
		if _, found := getRoom(t, srv.URL, roomName); found {
			seenAt = time.Now()
			break
		}
	}
	if seenAt.IsZero() {
		t.Fatal("the join never reached the server")
	}
	do(t, b, evalTimeout, "wait", chromedp.Sleep(100*time.Millisecond))
	for {
		if _, found := getRoom(t, srv.URL, roomName); !found {
			t.Logf("the server dropped the session %v after it joined", time.Since(seenAt).Round(time.Millisecond))
			return
		}
		if time.Since(seenAt) > 4*time.Second {
			t.Fatal("4 s after the page went mid-join, the server still lists its session (it stays until its peer timeout)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebclientCameraGivenLater: a page that joined with its microphone
// alone gives a camera later with session.setTrack, in both of mcu.js's
// ways of taking the mix (VP8, and H.264 on a section of its own), and the
// server decodes it in the same session: it takes no second offer, so the
// section the camera goes on must be negotiated at the join.
func TestWebclientCameraGivenLater(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#x", `document.getElementById("room").value !== ""`)
	for _, mix := range []string{"", "h264"} {
		roomName := "camera-later" + mix
		joined := eval[string](t, b, joinTimeout, fmt.Sprintf(`navigator.mediaDevices.getUserMedia({ audio: true, video: true }).then(async (devices) => {
			window.camera = devices.getVideoTracks()[0];
			const m = await import("/mcu.js");
			window.sess = await m.join({ room: %q, name: "Later", stream: new MediaStream(devices.getAudioTracks()), videoCodec: %q });
			await sess.connected;
			return "ok";
		}).catch((e) => "error: " + e.message)`, roomName, mix))
		if joined != "ok" {
			t.Fatalf("mix %q: join: %s", mix, joined)
		}
		info, _ := getRoom(t, srv.URL, roomName)
		if len(info.Participants) != 1 || info.Participants[0].VideoCodec != "" {
			t.Fatalf("mix %q: joined without a camera, the room lists %+v", mix, info.Participants)
		}
		id := info.Participants[0].ID
		if got := eval[string](t, b, evalTimeout, `sess.setTrack("video", camera).then(() => "ok", (e) => e.message)`); got != "ok" {
			t.Fatalf("mix %q: setTrack: %s", mix, got)
		}
		deadline := time.Now().Add(uiTimeout)
		for info, _ = getRoom(t, srv.URL, roomName); len(info.Participants) != 1 || info.Participants[0].VideoCodec == ""; info, _ = getRoom(t, srv.URL, roomName) {
			if time.Now().After(deadline) {
				t.Fatalf("mix %q: %v after setTrack the room lists %+v", mix, uiTimeout, info.Participants)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if got := info.Participants[0]; got.ID != id {
			t.Errorf("mix %q: the camera came in session %s, want the join's %s", mix, got.ID, id)
		}
		eval[float64](t, b, evalTimeout, `sess.leave()`)
	}
}
