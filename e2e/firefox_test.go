package e2e_test

// TestDemoPageFirefox and its Firefox driver: WebDriver BiDi, the protocol
// Firefox speaks natively, over a WebSocket. Four commands are all it takes
// (a session, the tab, loading a page, evaluating JavaScript), so the driver
// is a few lines here rather than a dependency.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"mcu/internal/logbuf"
)

// firefoxPath is Debian's Firefox ESR; CI installs it.
const firefoxPath = "/usr/bin/firefox-esr"

// firefoxPrefs make a fresh profile quiet and give it fake media: a
// generated camera picture and tone, no permission prompt, ICE candidates on
// loopback (the host may have nothing else) and not hidden behind mDNS
// names (the server does not resolve them).
const firefoxPrefs = `
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("media.autoplay.default", 0);
user_pref("remote.prefs.recommended", true);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
`

// bidiOrigin is the Origin the driver's WebSocket presents.
const bidiOrigin = "http://127.0.0.1"

// lineWriter hands each line written to it to line (a last line without
// its newline is kept until one comes).
type lineWriter struct {
	buf  []byte
	line func(string)
}

// flush hands on a last line that had no newline (a crash message).
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// bidiAddress is how Firefox announces its WebDriver BiDi endpoint.
var bidiAddress = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// firefox is one headless Firefox with one tab, driven through BiDi.
type firefox struct {
	ws     *websocket.Conn
	tab    string // the browsing context
	nextID int
	output logbuf.Buffer // Firefox's stdout and stderr, for failures
}

// launchFirefox starts Firefox on a fresh profile, opens page and waits
// until the JavaScript expression ready is true. Firefox is asked to close
// when the test ends, and what is left of its processes then killed; if the
// test failed, the end of its output goes to the log.
func launchFirefox(t *testing.T, page, ready string) *firefox {
	t.Helper()
	requireBrowser(t, firefoxPath, "firefox-esr")
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &firefox{}
	// x/net/websocket always sends an Origin, which Firefox refuses unless
	// told to accept it.
	cmd := exec.Command(firefoxPath, "--headless", "--no-remote", "--profile", profile,
		"--remote-debugging-port", "0", "--remote-allow-origins", bidiOrigin, "about:blank")
	// A group of its own, so that its content processes are stopped with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout = &f.output
	// Wait returns at most this long after Firefox exits, even if a child
	// that left its group still holds its output open.
	cmd.WaitDelay = closeTimeout / 2
	// The endpoint is announced on stderr; the rest of it is kept.
	found := make(chan string, 1)
	stderr := &lineWriter{line: func(line string) {
		fmt.Fprintln(&f.output, line)
		if m := bidiAddress.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Firefox: %v", err)
	}
	t.Cleanup(func() {
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if f.ws != nil {
			f.call("browser.close", map[string]any{}, closeTimeout/2) // asked to close, it ends its content processes
			f.ws.Close()
			select {
			case <-exited:
			case <-time.After(closeTimeout / 2):
			}
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever of the group is left
		<-exited
		stderr.flush()
		if t.Failed() {
			out := f.output.String()
			if len(out) > maxOutput {
				out = "..." + out[len(out)-maxOutput:]
			}
			t.Logf("output of Firefox (the end):\n%s", out)
		}
	})
	var addr string
	select {
	case addr = <-found:
	case <-time.After(launchTimeout):
		t.Fatalf("Firefox did not announce its WebDriver BiDi endpoint within %v", launchTimeout)
	}
	var err error
	if f.ws, err = websocket.Dial(addr+"/session", "", bidiOrigin); err != nil {
		t.Fatalf("connect to Firefox at %s: %v", addr, err)
	}
	if _, err := f.call("session.new", map[string]any{"capabilities": map[string]any{}}, launchTimeout); err != nil {
		t.Fatalf("Firefox session: %v", err)
	}
	res, err := f.call("browsingContext.getTree", map[string]any{}, launchTimeout)
	if err != nil {
		t.Fatalf("Firefox tabs: %v", err)
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(res, &tree); err != nil || len(tree.Contexts) == 0 {
		t.Fatalf("Firefox tabs: %s (%v)", res, err)
	}
	f.tab = tree.Contexts[0].Context
	if _, err := f.call("browsingContext.navigate", map[string]any{"context": f.tab, "url": page, "wait": "complete"}, launchTimeout); err != nil {
		t.Fatalf("Firefox: load %s: %v", page, err)
	}
	f.waitFor(t, launchTimeout, ready)
	return f
}

// call sends one BiDi command and returns its result, skipping the events
// that arrive meanwhile.
func (f *firefox) call(method string, params any, timeout time.Duration) (json.RawMessage, error) {
	f.nextID++
	id := f.nextID
	if err := f.ws.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	if err := websocket.JSON.Send(f.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		var msg struct {
			ID      *int            `json:"id"`
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := websocket.JSON.Receive(f.ws, &msg); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if msg.ID == nil || *msg.ID != id {
			continue // an event, or an answer to a command given up on
		}
		if msg.Type == "error" {
			return nil, fmt.Errorf("%s: %s: %s", method, msg.Error, msg.Message)
		}
		return msg.Result, nil
	}
}

// eval runs a JavaScript expression in the tab, waits for the promise it
// returns (if any) and decodes the value into v.
func (f *firefox) eval(expr string, timeout time.Duration, v any) error {
	res, err := f.call("script.evaluate", map[string]any{
		"expression": expr, "target": map[string]any{"context": f.tab},
		"awaitPromise": true, "resultOwnership": "none",
	}, timeout)
	if err != nil {
		return err
	}
	var out struct {
		Type   string `json:"type"`
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		return err
	}
	if out.Type != "success" {
		return fmt.Errorf("%s: %s", expr, out.ExceptionDetails.Text)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(out.Result.Value, v)
}

// run evaluates expr and fails the test on an exception.
func (f *firefox) run(t *testing.T, expr string) {
	t.Helper()
	if err := f.eval(expr, evalTimeout, nil); err != nil {
		t.Fatalf("Firefox: %v", err)
	}
}

// text is the text content of the element with this id.
func (f *firefox) text(t *testing.T, id string) string {
	t.Helper()
	return f.str(t, fmt.Sprintf("document.getElementById(%s).textContent", jsString(id)))
}

// str is the string the JavaScript expression gives.
func (f *firefox) str(t *testing.T, expr string) string {
	t.Helper()
	var s string
	if err := f.eval(expr, evalTimeout, &s); err != nil {
		t.Fatalf("Firefox: %v", err)
	}
	return s
}

// waitFor polls until the JavaScript expression is true.
func (f *firefox) waitFor(t *testing.T, timeout time.Duration, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	for {
		var ok bool
		err := f.eval(expr, evalTimeout, &ok)
		if err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Firefox: waited %v for %s (last error: %v)", timeout, expr, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// firefoxRoom is the room TestDemoPageFirefox joins.
const firefoxRoom = "e2e-firefox"

// TestDemoPageFirefox uses the demo page in Firefox: join with Firefox's
// fake camera and microphone, receive the 1280x720 mix at a real-time frame
// rate and its sound, appear in the participant list, have one's video
// decoded by the server (whichever codec Firefox picks of those offered),
// turn the camera off and on, and leave.
func TestDemoPageFirefox(t *testing.T) {
	srv, conn := cuttableServer(t, nil)
	f := launchFirefox(t, srv.URL+"/#"+firefoxRoom, `document.getElementById("room").value !== ""`)

	var room string
	if err := f.eval(`document.getElementById("room").value`, evalTimeout, &room); err != nil || room != firefoxRoom {
		t.Errorf("room field is %q (%v), want %q from the URL's hash", room, err, firefoxRoom)
	}
	// Keep the page's peer connections for getStats below.
	f.run(t, `(() => {
		const Native = window.RTCPeerConnection;
		window.mcuTestPCs = [];
		window.RTCPeerConnection = function (...args) {
			const pc = new Native(...args);
			window.mcuTestPCs.push(pc);
			return pc;
		};
		window.RTCPeerConnection.prototype = Native.prototype;
	})()`)
	f.run(t, `document.getElementById("name").value = "Grace"`)
	f.run(t, `document.getElementById("join").click()`)
	f.waitFor(t, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+firefoxRoom)))
	f.waitFor(t, uiTimeout, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 1280 && v.videoHeight === 720 && !v.paused; })()`)
	f.waitFor(t, uiTimeout, `document.getElementById("people").textContent.startsWith("Grace (you)")`)

	// The server decodes what Firefox sends: its picture size is known.
	deadline := time.Now().Add(uiTimeout)
	for {
		info, _ := getRoom(t, srv.URL, firefoxRoom)
		if len(info.Participants) == 1 && info.Participants[0].Name == "Grace" &&
			info.Participants[0].VideoCodec != "" && info.Participants[0].Width > 0 {
			t.Logf("Firefox sends %s %dx%d", info.Participants[0].VideoCodec, info.Participants[0].Width, info.Participants[0].Height)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server lists %+v, want Grace alone with a decoded picture", info.Participants)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Frame rate of the mix as Firefox receives and decodes it, from
	// getStats (headless Firefox does not present frames, so the video
	// element's playback counters stay still).
	fps := func() float64 {
		t.Helper()
		frames := func() (n float64) {
			expr := `(async () => {
				let n = 0;
				for (const pc of window.mcuTestPCs) {
					for (const s of (await pc.getStats()).values()) {
						if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded || 0;
					}
				}
				return n;
			})()`
			if err := f.eval(expr, evalTimeout, &n); err != nil {
				t.Fatalf("Firefox: %v", err)
			}
			return n
		}
		a, start := frames(), time.Now()
		time.Sleep(fpsWindow)
		return (frames() - a) / time.Since(start).Seconds()
	}
	var rate float64
	for range fpsAttempts {
		if rate = fps(); rate >= minFPS {
			break
		}
	}
	t.Logf("Firefox decodes the mix at %.1f fps", rate)
	if rate < minFPS {
		t.Errorf("Firefox decodes the mix at %.1f fps, want at least %d", rate, minFPS)
	}
	var audio float64
	if err := f.eval(`(async () => {
		let n = 0;
		for (const pc of window.mcuTestPCs) {
			for (const s of (await pc.getStats()).values()) {
				if (s.type === "inbound-rtp" && s.kind === "audio") n += s.packetsReceived || 0;
			}
		}
		return n;
	})()`, evalTimeout, &audio); err != nil {
		t.Fatalf("Firefox: %v", err)
	}
	if audio == 0 {
		t.Errorf("Firefox received no audio packets")
	}

	// Its network paths to the server cut, the page restarts ICE by
	// itself and gets the mix back, in the same session.
	info, _ := getRoom(t, srv.URL, firefoxRoom)
	conn.cutAll()
	cutAt := time.Now()
	f.waitFor(t, 20*time.Second, `document.getElementById("status").textContent.startsWith("Connection interrupted")`)
	t.Logf("the page saw its connection drop after %v", time.Since(cutAt).Round(time.Millisecond))
	f.waitFor(t, 20*time.Second, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+firefoxRoom)))
	for range fpsAttempts { // the first window may hold the wait for a keyframe
		if rate = fps(); rate >= minFPS {
			break
		}
	}
	if rate < minFPS {
		t.Errorf("after the ICE restart Firefox decodes the mix at %.1f fps, want at least %d", rate, minFPS)
	}
	t.Logf("the mix came back %v after the cut", time.Since(cutAt).Round(time.Millisecond))
	if after, _ := getRoom(t, srv.URL, firefoxRoom); len(after.Participants) != 1 || after.Participants[0].ID != info.Participants[0].ID {
		t.Errorf("after the ICE restart the room lists %+v, want the session %s", after.Participants, info.Participants[0].ID)
	}

	f.run(t, `document.getElementById("camera").click()`)
	if got := f.text(t, "camera"); got != "Turn camera on" {
		t.Errorf("after turning the camera off the button says %q", got)
	}
	if got := f.str(t, selfTracks); got != "audio true, video false" {
		t.Errorf("after turning the camera off the local tracks are %q", got)
	}
	f.run(t, `document.getElementById("camera").click()`)
	if got := f.text(t, "camera"); got != "Turn camera off" {
		t.Errorf("after turning the camera on again the button says %q", got)
	}
	if got := f.str(t, selfTracks); got != "audio true, video true" {
		t.Errorf("after turning the camera on again the local tracks are %q", got)
	}
	if msg := f.text(t, "error"); msg != "" {
		t.Errorf("the page shows an error: %q", msg)
	}

	f.run(t, `document.getElementById("leave").click()`)
	f.waitFor(t, uiTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("You left "+firefoxRoom)))
	if _, found := getRoom(t, srv.URL, firefoxRoom); found {
		t.Errorf("room %s still exists after its only participant left", firefoxRoom)
	}
}
