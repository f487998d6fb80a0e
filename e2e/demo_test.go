package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/roomtoken"
	"mcu/internal/testserver"
)

// demoRoom is the room TestDemoPage joins, given in the page's URL.
const demoRoom = "e2e-demo"

// uiTimeout bounds how long the demo page may take to show the result of a
// click (the participant list is polled every 1.5 s).
const uiTimeout = 10 * time.Second

// TestDemoPage uses the demo page at / as a person would, with clicks: join
// the room named in the URL, see the mix play and oneself listed, record,
// switch the layout, turn the camera and microphone off, and leave. It also
// checks the error messages mcu.js makes from the server's answers.
func TestDemoPage(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+demoRoom, `document.getElementById("room").value !== ""`)

	text, click, waitText := pageActions(t, b)
	// A join takes getUserMedia, the server's answer and the connection:
	// the time the other browser tests give it, not a click's.
	waitJoined := func() {
		t.Helper()
		waitFor(t, b, joinTimeout, fmt.Sprintf("document.getElementById(%s).textContent.startsWith(%s)", jsString("status"), jsString("In room "+demoRoom)))
	}

	if room := eval[string](t, b, evalTimeout, `document.getElementById("room").value`); room != demoRoom {
		t.Errorf("room field is %q, want %q from the URL's hash", room, demoRoom)
	}
	// As in Safari and iOS before 16 (the native one is Firefox's test's):
	// the page makes its timeouts without AbortSignal.timeout.
	if gone := eval[bool](t, b, evalTimeout, `delete AbortSignal.timeout && AbortSignal.timeout === undefined`); !gone {
		t.Fatal("AbortSignal.timeout could not be taken away")
	}
	// The screen is kept on during the call (a stand-in for the Wake Lock
	// API, which a headless browser refuses).
	eval[bool](t, b, evalTimeout, `(() => { window.wake = { asked: 0, released: 0 }; Object.defineProperty(navigator, "wakeLock", { configurable: true, value: { request: async (type) => { if (type === "screen") wake.asked++; return (wake.lock = { released: false, async release() { wake.released++; this.released = true; } }); } } }); return true; })()`)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))
	click("Join", "#join")
	waitJoined()
	waitFor(t, b, uiTimeout, `wake.asked === 1 && wake.released === 0`)
	// The self view plays one's own camera without sound: one's own voice is not played back.
	if muted := eval[bool](t, b, evalTimeout, `document.getElementById("self").muted`); !muted {
		t.Error("the self view is not muted: the page plays one's own microphone back")
	}
	// A lock the system took back (the page was hidden) is asked for again when the page shows again.
	eval[bool](t, b, evalTimeout, `(() => {
		wake.lock.released = true;
		Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
		document.dispatchEvent(new Event("visibilitychange"));
		delete document.visibilityState;
		return true;
	})()`)
	waitFor(t, b, uiTimeout, `wake.asked === 2 && wake.released === 0`)
	waitFor(t, b, uiTimeout, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 1280 && v.videoHeight === 720 && !v.paused; })()`)
	// The system pauses the mix (a phone call, a media key): the page
	// offers to resume it, and does.
	eval[bool](t, b, evalTimeout, `document.getElementById("mix").pause(), true`)
	waitFor(t, b, uiTimeout, `!document.getElementById("play").hidden`)
	if label := text("play"); label != "Resume the room" {
		t.Errorf("after the mix was paused the button says %q", label)
	}
	click("Resume the room", "#play")
	waitFor(t, b, uiTimeout, `!document.getElementById("mix").paused && document.getElementById("play").hidden`)
	// Paused and played again by the system (a media key): the button goes.
	eval[bool](t, b, evalTimeout, `document.getElementById("mix").pause(), true`)
	waitFor(t, b, uiTimeout, `!document.getElementById("play").hidden`)
	eval[bool](t, b, evalTimeout, `document.getElementById("mix").play(), true`)
	waitFor(t, b, uiTimeout, `!document.getElementById("mix").paused && document.getElementById("play").hidden`)
	// The system pauses the microphone and the camera (a phone call): the
	// page says which, and stops saying so when they resume.
	trackEvent := func(kind, name string) {
		t.Helper()
		eval[bool](t, b, evalTimeout, fmt.Sprintf(`document.getElementById("self").srcObject.getTracks().find(t => t.kind === %s).dispatchEvent(new Event(%s))`, jsString(kind), jsString(name)))
	}
	errorSays := func(prefix string) {
		t.Helper()
		waitFor(t, b, uiTimeout, fmt.Sprintf(`(() => { const e = document.getElementById("error"); return !e.hidden && e.textContent.startsWith(%s); })()`, jsString(prefix)))
	}
	trackEvent("audio", "mute")
	errorSays("Your microphone is paused by the system")
	trackEvent("video", "mute")
	errorSays("Your camera and microphone are paused by the system")
	trackEvent("audio", "unmute")
	errorSays("Your camera is paused by the system")
	// Another message takes the line; when it goes, the pause is told
	// again.
	eval[bool](t, b, evalTimeout, `(() => { const e = document.getElementById("error"); e.textContent = "another"; e.hidden = false; delete e.dataset.paused; return true; })()`)
	trackEvent("audio", "mute")
	errorSays("another")
	click("Speaker", `#layout input[value="speaker"]`) // a layout change clears the line
	errorSays("Your camera and microphone are paused by the system")
	// The line is an alert: a screen reader announces every write, so the
	// same pause is not written again when the line is cleared for a
	// request (a layout change).
	eval[bool](t, b, evalTimeout, `(() => { window.errorWrites = 0; new MutationObserver(r => window.errorWrites += r.length).observe(document.getElementById("error"), { childList: true, characterData: true, subtree: true }); return true; })()`)
	click("Grid", `#layout input[value="grid"]`)
	for deadline := time.Now().Add(uiTimeout); ; time.Sleep(50 * time.Millisecond) {
		if info, _ := getRoom(t, srv.URL, demoRoom); info.Layout == "grid" {
			break // the request is answered: the line was cleared for it before
		}
		if time.Now().After(deadline) {
			t.Fatal("the layout did not go back to grid")
		}
	}
	if writes := eval[int](t, b, evalTimeout, `window.errorWrites`); writes != 0 {
		t.Errorf("the pause's message written %d times again for a layout change", writes)
	}
	trackEvent("audio", "unmute")
	trackEvent("video", "unmute")
	waitFor(t, b, uiTimeout, `document.getElementById("error").hidden`)
	waitText("people", "Ada (you)")
	// A phone held sideways (844x390): the mix and the Leave button fit
	// the screen without scrolling.
	do(t, b, evalTimeout, "turn the phone sideways", chromedp.EmulateViewport(844, 390, chromedp.EmulateLandscape))
	fits := `(() => { scrollTo(0, 0); const l = document.getElementById("leave").getBoundingClientRect(), m = document.getElementById("mix").getBoundingClientRect(); return l.bottom <= innerHeight && l.top >= 0 && m.height >= 200 && m.top >= 0; })()`
	waitFor(t, b, uiTimeout, fits)
	// Also with a message and the Play button above and below the mix (a
	// phone call pausing the microphone and the mix).
	trackEvent("audio", "mute")
	eval[bool](t, b, evalTimeout, `document.getElementById("mix").pause(), true`)
	waitFor(t, b, uiTimeout, `!document.getElementById("error").hidden && !document.getElementById("play").hidden`)
	waitFor(t, b, uiTimeout, `(() => { const l = document.getElementById("leave").getBoundingClientRect(); return l.bottom <= innerHeight && l.top >= 0; })()`)
	trackEvent("audio", "unmute")
	click("Resume the room", "#play")
	waitFor(t, b, uiTimeout, `document.getElementById("error").hidden && document.getElementById("play").hidden`)
	do(t, b, evalTimeout, "back to the desktop", chromedp.EmulateReset())
	if info, _ := getRoom(t, srv.URL, demoRoom); len(info.Participants) != 1 || info.Participants[0].Name != "Ada" {
		t.Errorf("the server lists %+v, want Ada alone", info.Participants)
	}

	// Recording: the page shows the path the server returns, and after the
	// stop the file is there.
	recordOnPage(t, b, func() roomInfo { info, _ := getRoom(t, srv.URL, demoRoom); return info })

	// A recording started and stopped elsewhere (here, the API) shows on
	// the page, and goes from it when it stops.
	recording := func(method string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+"/api/rooms/"+demoRoom+"/recording", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			t.Fatalf("%s recording: %s", method, res.Status)
		}
	}
	recording(http.MethodPost)
	waitText("recording", "Recording to /")
	waitText("record", "Stop recording")
	recording(http.MethodDelete)
	waitText("record", "Start recording")
	if line := text("recording"); strings.HasPrefix(line, "Recording to") {
		t.Errorf("after the recording stopped elsewhere the page still says %q", line)
	}

	// Layout.
	click("Speaker", `#layout input[value="speaker"]`)
	deadline := time.Now().Add(uiTimeout)
	for info, _ := getRoom(t, srv.URL, demoRoom); info.Layout != "speaker"; info, _ = getRoom(t, srv.URL, demoRoom) {
		if time.Now().After(deadline) {
			t.Fatalf("layout is %q after choosing speaker", info.Layout)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The fake microphone's tone is heard: the list shows it; muted, it
	// no longer is.
	const heard = `document.querySelector("#people .voice")?.title.startsWith("Heard") === true`
	waitFor(t, b, uiTimeout, heard)

	// Camera and microphone: the buttons say what they will do next.
	click("Turn camera off", "#camera")
	click("Mute microphone", "#mic")
	waitFor(t, b, uiTimeout, "!("+heard+")")
	if cam, mic := text("camera"), text("mic"); cam != "Turn camera on" || mic != "Unmute microphone" {
		t.Errorf("after turning both off the buttons say %q and %q", cam, mic)
	}
	// The tracks the call sends (the self view shows the same stream).
	if on := eval[string](t, b, evalTimeout, selfTracks); on != "audio false, video false" {
		t.Errorf("after turning both off the local tracks are %q, want both disabled", on)
	}
	if msg := text("error"); msg != "" {
		t.Errorf("the page shows an error: %q", msg)
	}

	// Error messages say what the server said.
	errorCases := []struct {
		name, expr string
		want       []string
	}{
		{"404", `m.roomInfo({ room: "no-such-room" })`, []string{"Reading the room: No such room"}},
		{"409", `m.stopRecording({ room: ` + jsString(demoRoom) + ` })`, []string{"Stopping the recording: Not possible in the room's current state: not recording."}},
		{"400", `m.setLayout({ room: ` + jsString(demoRoom) + `, mode: "mosaic" })`, []string{"could not use the request", "mosaic"}},
		{"415", `fetch("/rooms/x/join", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "v=0" }).then((r) => m.errorFromResponse(r, "Join failed")).then((e) => { throw e; })`,
			[]string{"Join failed", "does not accept", "text/plain"}},
		{"413", `fetch("/rooms/x/join", { method: "POST", headers: { "Content-Type": "application/sdp" }, body: "v".repeat(70000) }).then((r) => m.errorFromResponse(r, "Join failed")).then((e) => { throw e; })`,
			[]string{"Join failed", "too large"}},
		{"bad name", `m.join({ room: "no spaces" })`, []string{"Room names are"}},
		// A busy server's Retry-After is told in seconds (not a date).
		{"503", `m.errorFromResponse(new Response('{"error":"the server is short of CPU"}', { status: 503, headers: { "Retry-After": "7" } }), "Join failed").then((e) => { throw e; })`,
			[]string{"Join failed: The server is busy or shutting down: the server is short of CPU. Try again in 7 s."}},
		{"503 dated", `m.errorFromResponse(new Response("", { status: 503, headers: { "Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT" } }), "Join failed").then((e) => { if (e.message.includes("Try again")) { e.message = "date taken as seconds"; } throw e; })`,
			[]string{"Join failed: The server is busy or shutting down."}},
		// Leaving before the connection is up settles connected at once
		// (closing the peer connection fires no state change).
		{"leave while connecting", `m.join({ room: "early-leave" }).then(async (s) => { const c = s.connected; await s.leave(); await c; })`,
			[]string{"Left before the connection was up"}},
	}
	for _, tc := range errorCases {
		msg := eval[string](t, b, evalTimeout, `import("/mcu.js").then((m) => `+tc.expr+`).then(() => "no error", (e) => e.message)`)
		t.Logf("%s: %s", tc.name, msg)
		// The server's JSON answer is told by its "error", never shown raw.
		if strings.Contains(msg, "{") {
			t.Errorf("%s: message %q shows the server's JSON", tc.name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not say %q", tc.name, msg, w)
			}
		}
	}

	eval[bool](t, b, evalTimeout, `(window.leftStream = document.getElementById("self").srcObject, true)`)
	click("Leave", "#leave")
	waitText("status", "You left "+demoRoom)
	// Leaving turns the camera and the microphone off.
	if states := eval[string](t, b, evalTimeout, `leftStream.getTracks().map((t) => t.kind + " " + t.readyState).sort().join(", ")`); states != "audio ended, video ended" {
		t.Errorf("after the leave the call's local tracks are %q, want both ended", states)
	}
	if n := eval[int](t, b, evalTimeout, `wake.released`); n != 1 {
		t.Errorf("the screen's lock released %d times after the leave, want once", n)
	}
	if _, found := getRoom(t, srv.URL, demoRoom); found {
		t.Errorf("room %s still exists after its only participant left", demoRoom)
	}
	if hidden := eval[bool](t, b, evalTimeout, `document.getElementById("join-form").hidden`); hidden {
		t.Errorf("the join form stays hidden after leaving")
	}

	// The server ends the session (here by its API, as when the room
	// closes): the page says so, shows the form again, and its status no
	// longer says it is in the room.
	click("Join", "#join")
	waitJoined()
	// A call after a leave can be left too: the first leave gives Leave back.
	if disabled := eval[bool](t, b, evalTimeout, `document.getElementById("leave").disabled`); disabled {
		t.Error("after a leave and a new join the Leave button is disabled")
	}
	// The new call's buttons say what they do to its new, live camera and
	// microphone, not what the last call's muted ones would.
	if cam, mic := text("camera"), text("mic"); cam != "Turn camera off" || mic != "Mute microphone" {
		t.Errorf("after muting both, leaving and joining again the buttons say %q and %q", cam, mic)
	}
	if on := eval[string](t, b, evalTimeout, selfTracks); on != "audio true, video true" {
		t.Errorf("after muting both, leaving and joining again the local tracks are %q, want both enabled", on)
	}
	info, _ := getRoom(t, srv.URL, demoRoom)
	if len(info.Participants) != 1 {
		t.Fatalf("the server lists %+v, want the page alone", info.Participants)
	}
	if err := srv.Rooms.End(demoRoom, info.Participants[0].ID); err != nil {
		t.Fatal(err)
	}
	waitText("error", "The server ended your session")
	waitFor(t, b, uiTimeout, `!document.getElementById("join-form").hidden`)
	if status := text("status"); status != "" {
		t.Errorf("after the server ended the session the status says %q", status)
	}

	// The same while someone else stays: the room goes on, so no 404
	// tells the page; the room's state no longer listing it does.
	ctx, cancel := context.WithTimeout(t.Context(), joinTimeout)
	defer cancel()
	clip := filepath.Join("..", "testdata", "p02")
	other, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: demoRoom, Name: "Bob", Video: clip + ".ivf", Audio: clip + ".ogg"})
	if err != nil {
		t.Fatalf("the other participant: %v", err)
	}
	defer other.Close()
	// This join finds a microphone and no camera (getUserMedia refuses
	// every request for video), so that the buttons are checked for a
	// microphone alone.
	eval[bool](t, b, evalTimeout, `(() => {
		const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
		md.getUserMedia = (c) => c.video ? Promise.reject(new DOMException("No camera", "NotFoundError")) : gum(c);
		return true;
	})()`)
	click("Join", "#join")
	waitJoined()
	// Refused the camera, the page asks for the microphone alone and joins with it, saying nothing is wrong.
	if msg := text("error"); msg != "" {
		t.Errorf("joined with a microphone alone, the page shows an error: %q", msg)
	}
	// A person with a microphone alone can mute it, and turn a camera on.
	if state := eval[string](t, b, evalTimeout, `["camera", "mic"].map((id) => id + " " + JSON.stringify(document.getElementById(id).textContent) + " " + document.getElementById(id).disabled).join(", ") + "; " + `+selfTracks); state != `camera "Turn camera on" false, mic "Mute microphone" false; audio true` {
		t.Errorf("joined with a microphone alone (buttons, disabled; tracks): %s, want the camera's button offering to turn one on", state)
	}
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("Ada (you)")`) // after Bob
	info, _ = getRoom(t, srv.URL, demoRoom)
	var ada string
	for _, p := range info.Participants {
		if p.Name == "Ada" {
			ada = p.ID
		}
	}
	if err := srv.Rooms.End(demoRoom, ada); err != nil {
		t.Fatalf("end Ada's session (%+v): %v", info.Participants, err)
	}
	waitText("error", "The server ended your session")
	waitFor(t, b, uiTimeout, `!document.getElementById("join-form").hidden`)
	if _, found := getRoom(t, srv.URL, demoRoom); !found {
		t.Error("the room closed with Bob still in it: the page may have learned of its end from a 404")
	}
	if focused := eval[string](t, b, evalTimeout, `document.activeElement?.id ?? ""`); focused != "join" {
		t.Errorf("after the session ended the focus is on %q, want the Join button", focused)
	}
}

// TestDemoPageWithToken uses the demo page with a server that needs a
// token (-auth-token): the token field, hidden at first, shows (focused)
// with an error when a join is refused for want of one; a wrong token is
// refused too; the right one (typed with spaces around it) joins, and the
// page's calls to the API carry it: the participant list, the recording,
// the layout.
func TestDemoPageWithToken(t *testing.T) {
	requireTools(t)
	const (
		token     = "e2e-token-0123456789abcdef"
		tokenRoom = "e2e-token"
	)
	p := participants(t, 4)[0]
	srv := testserver.StartWithToken(t, nil, token)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+tokenRoom, `document.getElementById("room").value !== ""`)

	text, click, waitText := pageActions(t, b)
	const fieldShown = `document.getElementById("token").checkVisibility()`
	// refused waits for a join to fail with an error that says want (a
	// join takes getUserMedia and the server's answer: joinTimeout), and
	// checks that the token field is shown and focused, and that the
	// server has nobody in the room.
	refused := func(want string) {
		t.Helper()
		waitFor(t, b, joinTimeout, fmt.Sprintf(`(() => { const e = document.getElementById("error"); return !e.hidden && e.textContent.includes(%s) && !document.getElementById("join").disabled; })()`, jsString(want)))
		t.Logf("refused: %s", text("error"))
		if shown := eval[bool](t, b, evalTimeout, fieldShown); !shown {
			t.Error("the token field is hidden after a join refused for its token")
		}
		if focused := eval[string](t, b, evalTimeout, `document.activeElement?.id ?? ""`); focused != "token" {
			t.Errorf("after a join refused for its token the focus is on %q, want the token field", focused)
		}
		if info, found := getRoomWithToken(t, srv.URL, token, tokenRoom); found && len(info.Participants) > 0 {
			t.Errorf("after a refused join the server lists %+v, want nobody", info.Participants)
		}
		if status := text("status"); strings.HasPrefix(status, "In room") {
			t.Errorf("after a refused join the status says %q", status)
		}
	}

	if shown := eval[bool](t, b, evalTimeout, fieldShown); shown {
		t.Error("the token field is shown before the server asked for a token")
	}
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))

	// No token: the server asks for one, and the page for it.
	click("Join", "#join")
	refused("needs a token")

	// A wrong token: refused too.
	do(t, b, evalTimeout, "type a wrong token", chromedp.SetValue(chromedp.ID("token"), token+"x"))
	click("Join", "#join")
	refused("refused the token")

	// One no server takes: said at once, before the camera is asked for
	// (getUserMedia counted from here).
	eval[bool](t, b, evalTimeout, `(() => {
		const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
		window.cameraAsked = 0;
		md.getUserMedia = (c) => { window.cameraAsked++; return gum(c); };
		return true;
	})()`)
	do(t, b, evalTimeout, "type a token with a space", chromedp.SetValue(chromedp.ID("token"), "two words"))
	click("Join", "#join")
	refused("printable ASCII")
	if asked := eval[int](t, b, evalTimeout, `window.cameraAsked`); asked != 0 {
		t.Errorf("a malformed token: the camera was asked for %d times, want none", asked)
	}

	// The right one, with spaces around it (trimmed): joined, and the
	// participant list (read from the API with the token) shows oneself.
	do(t, b, evalTimeout, "type the token", chromedp.SetValue(chromedp.ID("token"), "  "+token+" "))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf("document.getElementById(%s).textContent.startsWith(%s)", jsString("status"), jsString("In room "+tokenRoom)))
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("Ada (you)")`)
	if info, found := getRoomWithToken(t, srv.URL, token, tokenRoom); !found || len(info.Participants) != 1 || info.Participants[0].Name != "Ada" {
		t.Errorf("the server lists %+v (room found: %v), want Ada alone", info.Participants, found)
	}
	if msg := text("error"); msg != "" {
		t.Errorf("joined, the page shows an error: %q", msg)
	}
	// The token is kept in the page only.
	if leaked := eval[bool](t, b, evalTimeout, fmt.Sprintf(`JSON.stringify(localStorage).includes(%[1]s) || location.href.includes(%[1]s)`, jsString(token))); leaked {
		t.Error("the token is in the page's storage or address")
	}

	// Recording, through the API with the token.
	recordOnPage(t, b, func() roomInfo { info, _ := getRoomWithToken(t, srv.URL, token, tokenRoom); return info })

	// Layout, through the API with the token.
	click("Speaker", `#layout input[value="speaker"]`)
	deadline := time.Now().Add(uiTimeout)
	for info, _ := getRoomWithToken(t, srv.URL, token, tokenRoom); info.Layout != "speaker"; info, _ = getRoomWithToken(t, srv.URL, token, tokenRoom) {
		if time.Now().After(deadline) {
			t.Fatalf("layout is %q after choosing speaker", info.Layout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if msg := text("error"); msg != "" {
		t.Errorf("the page shows an error: %q", msg)
	}

	// Leaving needs no token; the field stays for the next join.
	click("Leave", "#leave")
	waitText("status", "You left "+tokenRoom)
	if _, found := getRoomWithToken(t, srv.URL, token, tokenRoom); found {
		t.Errorf("room %s still exists after its only participant left", tokenRoom)
	}
	if msg := text("error"); msg != "" {
		t.Errorf("after leaving the page shows an error: %q", msg)
	}
	if shown := eval[bool](t, b, evalTimeout, fieldShown); !shown {
		t.Error("the token field is hidden again after the call")
	}
}

// TestDemoPageInvitation: the demo page opened from an invitation,
// /#ROOM&token=TOKEN with a room token, takes the token out of the
// address and joins with it without asking; the room's list comes with
// it; a start of the recording, which the token does not allow, is
// refused with the server's reason. The token is short: once it has
// expired, the page still sees who comes into the room (it reads the
// room through its session, whose key outlives the token).
func TestDemoPageInvitation(t *testing.T) {
	requireTools(t)
	const (
		secret = "e2e-token-0123456789abcdef-0123456789"
		room   = "e2e-invite"
	)
	expires := time.Now().Add(8 * time.Second).Unix()
	tok, err := roomtoken.Sign([]byte(secret), roomtoken.Claims{Room: room, Expires: expires})
	if err != nil {
		t.Fatal(err)
	}
	p := participants(t, 4)[0]
	srv := testserver.StartWithToken(t, nil, secret)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room+"&token="+tok, `document.getElementById("room").value !== ""`)
	text, click, waitText := pageActions(t, b)
	if where := eval[string](t, b, evalTimeout, `location.hash + " " + document.getElementById("room").value`); where != "#"+room+" "+room {
		t.Errorf("after opening the invitation: hash and room field %q, want the room alone", where)
	}
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Guest"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+room)))
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("Guest (you)")`)
	if info, found := getRoomWithToken(t, srv.URL, secret, room); !found || len(info.Participants) != 1 {
		t.Errorf("the server lists %+v (found %v), want the guest", info.Participants, found)
	}
	click("Start recording", "#record")
	waitFor(t, b, uiTimeout, `!document.getElementById("error").hidden`)
	if msg := text("error"); !strings.Contains(msg, "does not allow") {
		t.Errorf("a recording the token does not allow: the page says %q", msg)
	}
	if info, _ := getRoomWithToken(t, srv.URL, secret, room); info.Recording != nil {
		t.Errorf("a token without control started a recording: %+v", info.Recording)
	}
	time.Sleep(time.Until(time.Unix(expires+1, 0)))
	ctx, cancel := context.WithTimeout(t.Context(), joinTimeout)
	defer cancel()
	clip := filepath.Join("..", "testdata", "p02")
	other, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: room, Name: "Bob", Token: secret, Video: clip + ".ivf", Audio: clip + ".ogg"})
	if err != nil {
		t.Fatalf("the other participant: %v", err)
	}
	defer other.Close()
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("Bob")`)
	click("Leave", "#leave")
	waitText("status", "You left "+room)
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return 0
	}
	return st.Size()
}

// selfTracks is a script giving the kinds of the page's local tracks and
// whether each is enabled, as "audio true, video true".
const selfTracks = `document.getElementById("self").srcObject.getTracks().map((t) => t.kind + " " + t.enabled).sort().join(", ")`

// TestDemoPageBehindAProxy: the demo page served under a path by a reverse
// proxy (https://host/mcu/) talks to the server through that path (and
// reads the room's state again after a read the proxy refuses); a join
// the server does not answer can be cancelled (the page returns to its
// form and the request is given up), as can one waiting for the camera;
// a leave the server does not answer is given up, and mcu.js gives up a
// join that is not answered within its timeout.
func TestDemoPageBehindAProxy(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	toServer := http.StripPrefix("/mcu", httputil.NewSingleHostReverseProxy(target))
	arrived := make(chan struct{}, 8) // a join reached the stalling server
	stalled := make(chan struct{}, 8) // a stalled join given up by its client
	done := make(chan struct{})
	var leaves atomic.Int32                // DELETEs of a session through the proxy's path
	var pollFailed atomic.Bool             // the page's first read of the proxied room's state was refused
	var refusedAt, nextPollAt atomic.Int64 // when it was, and when the next read came (Unix ns)
	const pollRetryAfter = 4 * time.Second // what the refusal says, over twice the page's poll interval
	var leaveStalled atomic.Bool           // the first leave was never answered
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/mcu/rooms/proxied/sessions/") {
			leaves.Add(1)
			if leaveStalled.CompareAndSwap(false, true) {
				// A server that does not answer the leave.
				select {
				case <-r.Context().Done():
				case <-done:
				}
				return
			}
		}
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/mcu/rooms/proxied/sessions/") { // the page's read of its room
			if pollFailed.CompareAndSwap(false, true) {
				refusedAt.Store(time.Now().UnixNano())
				w.Header().Set("Retry-After", strconv.Itoa(int(pollRetryAfter/time.Second)))
				http.Error(w, "overloaded, try again", http.StatusServiceUnavailable)
				return
			}
			nextPollAt.CompareAndSwap(0, time.Now().UnixNano())
		}
		if r.URL.Path == "/mcu/rooms/stall/join" {
			// A server that never answers. Once the body is read, the
			// request's context ends when the client gives up.
			io.Copy(io.Discard, r.Body)
			arrived <- struct{}{}
			select {
			case <-r.Context().Done():
				stalled <- struct{}{}
			case <-done:
			}
			return
		}
		toServer.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	defer close(done)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, proxy.URL+"/mcu/#stall", `document.getElementById("room").value !== ""`)
	text := func(id string) string {
		return eval[string](t, b, evalTimeout, fmt.Sprintf("document.getElementById(%s).textContent", jsString(id)))
	}
	status := func(prefix string, within time.Duration) {
		t.Helper()
		waitFor(t, b, within, fmt.Sprintf("document.getElementById(%s).textContent.startsWith(%s)", jsString("status"), jsString(prefix)))
	}

	do(t, b, evalTimeout, "click Join", chromedp.Click("#join"))
	status("Joining stall", joinTimeout)
	if hidden := eval[bool](t, b, evalTimeout, `document.getElementById("cancel").hidden`); hidden {
		t.Fatal("no Cancel button while joining")
	}
	select {
	case <-arrived:
	case <-time.After(joinTimeout):
		t.Fatal("the join's request did not come")
	}
	do(t, b, evalTimeout, "click Cancel", chromedp.Click("#cancel"))
	status("Join cancelled", uiTimeout)
	select {
	case <-stalled:
	case <-time.After(uiTimeout):
		t.Error("the join's request goes on after Cancel")
	}
	if state := eval[string](t, b, evalTimeout, `["join", "cancel"].map((id) => id + " " + (document.getElementById(id).disabled || document.getElementById(id).hidden)).join(", ")`); state != "join false, cancel true" {
		t.Errorf("after Cancel (disabled or hidden): %s; want Join usable and Cancel gone", state)
	}
	if msg := text("error"); msg != "" {
		t.Errorf("after Cancel the page shows an error: %q", msg)
	}
	// A join cancelled while the browser asks for the camera stays
	// cancelled when the camera comes: the page gives the camera back and
	// asks the server nothing.
	eval[bool](t, b, evalTimeout, `(() => {
		const md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
		md.getUserMedia = (c) => new Promise((resolve, reject) => {
			window.allowCamera = () => { delete md.getUserMedia; return gum(c).then((s) => { window.lateStream = s; resolve(s); return true; }, reject); };
		});
		return true;
	})()`)
	do(t, b, evalTimeout, "click Join", chromedp.Click("#join"))
	status("Asking for camera", uiTimeout)
	// The page asks the browser once it knows what is blocked.
	waitFor(t, b, uiTimeout, `typeof allowCamera === "function"`)
	do(t, b, evalTimeout, "click Cancel", chromedp.Click("#cancel"))
	status("Join cancelled", uiTimeout)
	eval[bool](t, b, evalTimeout, `allowCamera()`)
	waitFor(t, b, uiTimeout, `lateStream.getTracks().length > 0 && lateStream.getTracks().every((t) => t.readyState === "ended")`)
	if st, self := text("status"), eval[bool](t, b, evalTimeout, `document.getElementById("self").srcObject === null`); st != "Join cancelled." || !self {
		t.Errorf("the camera given after Cancel: status %q, self view empty: %v; want the join to stay cancelled", st, self)
	}
	select {
	case <-arrived:
		t.Error("a join cancelled before the camera came reached the server")
	default:
	}
	// A join cancelled while the page learns what is blocked asks the
	// browser for nothing.
	eval[bool](t, b, evalTimeout, `(() => {
		const perms = navigator.permissions, query = perms.query.bind(perms), md = navigator.mediaDevices, gum = md.getUserMedia.bind(md);
		window.cameraAsked = 0;
		window.queries = [];
		window.queriesAnswered = 0;
		md.getUserMedia = (c) => { cameraAsked++; return gum(c); };
		perms.query = (d) => new Promise((resolve, reject) => queries.push(() => query(d).then((r) => { resolve(r); queriesAnswered++; }, reject)));
		window.answerQueries = () => { delete perms.query; queries.forEach((answer) => answer()); return true; };
		return true;
	})()`)
	do(t, b, evalTimeout, "click Join", chromedp.Click("#join"))
	waitFor(t, b, uiTimeout, `queries.length === 2`)
	do(t, b, evalTimeout, "click Cancel", chromedp.Click("#cancel"))
	status("Join cancelled", uiTimeout)
	eval[bool](t, b, evalTimeout, `answerQueries()`)
	waitFor(t, b, uiTimeout, `queriesAnswered === 2`) // the page went on meanwhile
	if asked := eval[int](t, b, evalTimeout, `(() => { const n = cameraAsked; delete navigator.mediaDevices.getUserMedia; return n; })()`); asked != 0 {
		t.Errorf("a join cancelled before the browser was asked asked it %d times for the camera", asked)
	}
	select {
	case <-arrived:
		t.Error("a join cancelled while the page read the permissions reached the server")
	default:
	}

	// Through the proxy's path: join, be listed (the room's state is read
	// through it too), leave. The proxy refuses the page's first read of
	// the room's state (503), which the error line shows until the next.
	eval[bool](t, b, evalTimeout, `(() => { const e = document.getElementById("error"); window.errorLines = []; new MutationObserver(() => errorLines.push(e.textContent)).observe(e, { childList: true, characterData: true, subtree: true }); return true; })()`)
	do(t, b, evalTimeout, "choose a room", chromedp.SetValue(chromedp.ID("room"), "proxied"))
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), proxiedName))
	do(t, b, evalTimeout, "click Join", chromedp.Click("#join"))
	status("In room proxied", joinTimeout)
	// A read of the room's state that failed once is tried again: the list
	// shows the page and the error goes.
	waitFor(t, b, uiTimeout+pollRetryAfter, `document.getElementById("people").textContent.includes("(you)") && document.getElementById("error").hidden`)
	if lines := eval[[]string](t, b, evalTimeout, `errorLines`); !pollFailed.Load() || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Reading the room") }) {
		t.Errorf("the refused read of the room (refused: %v) was not shown; the error line said %q", pollFailed.Load(), lines)
	}
	// It is tried again no sooner than the refusal's Retry-After said.
	if wait := time.Duration(nextPollAt.Load() - refusedAt.Load()); wait < pollRetryAfter {
		t.Errorf("the page read the room again %v after a refusal saying Retry-After: %v", wait, pollRetryAfter)
	}
	// The address names the room joined, the one typed in the form.
	if hash := eval[string](t, b, evalTimeout, `location.hash`); hash != "#proxied" {
		t.Errorf("in room proxied the address's hash is %q", hash)
	}
	// The name reaches the server whole, "&" and all.
	if info, found := getRoom(t, srv.URL, "proxied"); !found || len(info.Participants) != 1 || info.Participants[0].Name != proxiedName {
		t.Errorf("the server lists %+v (room found: %v), want the page as %q", info.Participants, found, proxiedName)
	}
	// A recording whose disk fills says so, and its stop shows the file,
	// incomplete.
	do(t, b, evalTimeout, "click Start recording", chromedp.Click("#record"))
	waitFor(t, b, uiTimeout, `document.getElementById("recording").textContent.startsWith("Recording to /")`)
	path := strings.TrimPrefix(text("recording"), "Recording to ")
	time.Sleep(1500 * time.Millisecond) // a cluster in the file
	mediatest.FillDisk(t, path)
	waitFor(t, b, uiTimeout, `document.getElementById("recording").textContent.includes("the disk is full")`)
	do(t, b, evalTimeout, "click Stop recording", chromedp.Click("#record"))
	waitFor(t, b, uiTimeout, `document.getElementById("recording").textContent.startsWith("Saved, incomplete: ")`)
	if got := strings.TrimPrefix(text("recording"), "Saved, incomplete: "); got != path {
		t.Errorf("after a failed stop the page shows %q, want the file %q", got, path)
	}
	if rec := text("record"); rec != "Start recording" {
		t.Errorf("after a failed stop the record button says %q", rec)
	}
	eval[bool](t, b, evalTimeout, `(document.getElementById("error").textContent = "", true)`)
	// After a failed stop the Record button works again: a new recording starts (and stops).
	if disabled := eval[bool](t, b, evalTimeout, `document.getElementById("record").disabled`); disabled {
		t.Error("after a failed stop the record button is disabled")
	}
	do(t, b, evalTimeout, "click Start recording", chromedp.Click("#record"))
	waitFor(t, b, uiTimeout, `document.getElementById("recording").textContent.startsWith("Recording to /")`)
	do(t, b, evalTimeout, "click Stop recording", chromedp.Click("#record"))
	waitFor(t, b, uiTimeout, `document.getElementById("recording").textContent.startsWith("Saved /")`)

	// A camera that stops on its own is told, and its button asks for it
	// again and sends it in the same session.
	eval[bool](t, b, evalTimeout, `(() => { const t = document.getElementById("self").srcObject.getVideoTracks()[0]; t.stop(); t.dispatchEvent(new Event("ended")); return true; })()`)
	if msg, cam := text("error"), text("camera"); !strings.HasPrefix(msg, "Your camera stopped") || cam != "Turn camera on" {
		t.Errorf("after the camera ended: error %q, button %q", msg, cam)
	}
	do(t, b, evalTimeout, "click Turn camera on", chromedp.Click("#camera"))
	waitFor(t, b, uiTimeout, `document.getElementById("camera").textContent === "Turn camera off"`)
	if got := eval[string](t, b, evalTimeout, `document.getElementById("self").srcObject.getVideoTracks().map((t) => t.readyState).join(",") + "; " + document.getElementById("error").textContent`); got != "live; " {
		t.Errorf("the camera turned on again: the page's video tracks and error line %q, want one live track and no error", got)
	}
	// The proxy does not answer the leave: the page gives up on it after
	// mcu.js's LEAVE_TIMEOUT_MS, shows the form and says so.
	leaveTimeout := leaveTimeoutOf(t)
	do(t, b, evalTimeout, "click Leave", chromedp.Click("#leave"))
	status("You left proxied", leaveTimeout+2*time.Second)
	if msg, form := text("error"), eval[bool](t, b, evalTimeout, `!document.getElementById("join-form").hidden`); !strings.HasPrefix(msg, "Leave: the server did not answer") || !form {
		t.Errorf("after a leave the server did not answer: error %q, form shown: %v", msg, form)
	}
	// The leave's DELETE went to the session through the proxy's path
	// (its Location, /rooms/..., is the server's own path: under the
	// proxy it is /mcu/rooms/...).
	if n := leaves.Load(); n != 1 {
		t.Errorf("%d DELETEs of the session through the proxy's path, want the leave's", n)
	}

	// mcu.js gives up a join the server does not answer.
	msg := eval[string](t, b, evalTimeout, `import("/mcu/mcu.js").then((m) => m.join({ server: location.origin + "/mcu", room: "stall", joinTimeoutMs: 1000 })).then(() => "no error", (e) => e.message)`)
	if !strings.Contains(msg, "did not answer the join within 1 s") {
		t.Errorf("a join not answered: %q", msg)
	}
	// The same where fetch rejects with a plain AbortError, not the
	// signal's reason (Safari and iOS before 15.4), and, as there,
	// without AbortSignal.timeout and AbortSignal.any: the timeout made
	// without them aborts the join through the one made of it and the
	// join's signal.
	msg = eval[string](t, b, evalTimeout, `(() => {
		const f = window.fetch, timeout = AbortSignal.timeout, any = AbortSignal.any;
		delete AbortSignal.timeout;
		delete AbortSignal.any;
		window.fetch = (u, o) => f(u, o).catch((e) => { throw e.name === "TimeoutError" ? new DOMException("The operation was aborted.", "AbortError") : e; });
		const joined = import("/mcu/mcu.js")
			.then((m) => m.join({ server: location.origin + "/mcu", room: "stall", joinTimeoutMs: 1000, signal: new AbortController().signal }))
			.then(() => "no error", (e) => e.message);
		const late = new Promise((resolve) => setTimeout(() => resolve("still waiting after 5 s"), 5000));
		return Promise.race([joined, late]).finally(() => { window.fetch = f; AbortSignal.timeout = timeout; AbortSignal.any = any; });
	})()`)
	if !strings.Contains(msg, "did not answer the join within 1 s") {
		t.Errorf("a join not answered, fetch rejecting with AbortError: %q", msg)
	}
}

// proxiedName is the name TestDemoPageBehindAProxy joins with: one a
// query string must escape.
const proxiedName = "Tom & Jerry"

// leaveTimeoutOf reads how long mcu.js waits for the answer to a leave
// (its LEAVE_TIMEOUT_MS).
func leaveTimeoutOf(t *testing.T) time.Duration {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "server", "web", "mcu.js"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const LEAVE_TIMEOUT_MS = (\d+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("mcu.js: no LEAVE_TIMEOUT_MS")
	}
	ms, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ms) * time.Millisecond
}

// pageActions are what a test does on the demo page in b: read an
// element's text, click, wait for an element's text to begin with a
// prefix (within uiTimeout) and read it.
func pageActions(t *testing.T, b *browser) (text func(id string) string, click func(what string, sel chromedp.CSS), waitText func(id, prefix string) string) {
	text = func(id string) string {
		return eval[string](t, b, evalTimeout, fmt.Sprintf("document.getElementById(%s).textContent", jsString(id)))
	}
	click = func(what string, sel chromedp.CSS) {
		t.Helper()
		do(t, b, evalTimeout, "click "+what, chromedp.Click(sel))
	}
	waitText = func(id, prefix string) string {
		t.Helper()
		waitFor(t, b, uiTimeout, fmt.Sprintf("document.getElementById(%s).textContent.startsWith(%s)", jsString(id), jsString(prefix)))
		return text(id)
	}
	return text, click, waitText
}

// recordOnPage starts a recording with the page's button, checks that the
// page shows the path the server (read by room) returns, stops it after a
// second and checks that the file is there, whole.
func recordOnPage(t *testing.T, b *browser, room func() roomInfo) {
	t.Helper()
	_, click, waitText := pageActions(t, b)
	click("Start recording", "#record")
	started := strings.TrimPrefix(waitText("recording", "Recording to /"), "Recording to ")
	if info := room(); info.Recording == nil || info.Recording.Path != started {
		t.Errorf("the server's recording is %+v, the page shows %q", info.Recording, started)
	}
	waitText("record", "Stop recording")
	time.Sleep(time.Second) // a second of video in the file
	click("Stop recording", "#record")
	saved := strings.TrimPrefix(waitText("recording", "Saved /"), "Saved ")
	if saved != started {
		t.Errorf("saved %q, started %q", saved, started)
	}
	if st, err := os.Stat(saved); err != nil || st.Size() == 0 || !filepath.IsAbs(saved) {
		t.Errorf("recording %s: %v (size %d)", saved, err, sizeOf(st))
	}
}
