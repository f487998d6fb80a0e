package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/diskspace"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// minimalOffer is a syntactically valid offer with one audio section and
// no ICE credentials or DTLS fingerprint; minimalOffer plus credentials
// passes the server's first check.
const (
	minimalOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
	credentials  = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
		"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
)

// TestBadRequests: every kind of bad input gets its status and a JSON body
// saying what was wrong, and the server keeps serving.
func TestBadRequests(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) { c.MaxParticipants, c.MaxViewers, c.MaxRooms = 1, 1, 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "full", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "full", Endpoint: client.WHEP})
	if err != nil {
		t.Fatalf("viewer in a full room (viewers are not shown): %v", err)
	}
	defer viewer.Close()
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		say                             string
	}{
		{"garbage SDP", "POST", "/rooms/a/join", "application/sdp", "this is not SDP", 400, "SDP"},
		{"SDP without media", "POST", "/rooms/a/join", "application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 400, "no audio or video"},
		{"SDP without ICE credentials", "POST", "/rooms/a/join", "application/sdp", minimalOffer, 400, "ice-ufrag"},
		{"wrong content type", "POST", "/rooms/a/join", "text/plain", minimalOffer, 415, "application/sdp"},
		{"no content type", "POST", "/whip/a", "", minimalOffer, 415, "application/sdp"},
		{"content type with a broken parameter", "POST", "/rooms/a/join", "application/sdp; charset", minimalOffer, 400, "ice-ufrag"},
		{"oversized body", "POST", "/rooms/a/join", "application/sdp", strings.Repeat("a=x\r\n", 20000), 413, "too large"},
		{"path trick", "POST", "/rooms/..%2fx/join", "application/sdp", minimalOffer, 400, "room names"},
		{"dotted room", "POST", "/whep/.x", "application/sdp", minimalOffer, 400, "room names"},
		{"room starting with a dash", "POST", "/rooms/-x/join", "application/sdp", minimalOffer, 400, "not starting with '-'"},
		{"long room", "POST", "/rooms/" + strings.Repeat("r", 65) + "/join", "application/sdp", minimalOffer, 400, "room names"},
		// A name no room can have is a bad request on every endpoint, not
		// an unknown room.
		{"bad name, leave", "DELETE", "/rooms/-x/sessions/nope", "", "", 400, "room names"},
		{"bad name, ICE", "PATCH", "/rooms/-x/sessions/nope", "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n", 400, "room names"},
		{"bad name, state", "GET", "/api/rooms/x.y", "", "", 400, "room names"},
		{"bad name, recording", "POST", "/api/rooms/" + strings.Repeat("r", 65) + "/recording", "", "", 400, "room names"},
		{"bad name, stop recording", "DELETE", "/api/rooms/..%2fx/recording", "", "", 400, "room names"},
		{"bad name, layout", "PUT", "/api/rooms/-x/layout", "application/json", `{"mode":"grid"}`, 400, "room names"},
		{"unknown session", "DELETE", "/rooms/full/sessions/nope", "", "", 404, "no such"},
		{"unknown room", "DELETE", "/rooms/nowhere/sessions/nope", "", "", 404, "no such"},
		{"unknown room state", "GET", "/api/rooms/nowhere", "", "", 404, "no such"},
		{"recording unknown room", "POST", "/api/rooms/nowhere/recording", "", "", 404, "no such"},
		{"stop a recording never started", "DELETE", "/api/rooms/full/recording", "", "", 409, "not recording"},
		{"bad layout", "PUT", "/api/rooms/full/layout", "application/json", `{"mode":"mosaic"}`, 400, "mosaic"},
		{"bad layout JSON", "PUT", "/api/rooms/full/layout", "application/json", `{"mode":`, 400, "unexpected end"},
		{"layout without a mode", "PUT", "/api/rooms/full/layout", "application/json", `{}`, 400, "no mode or spotlight"},
		{"layout mode null", "PUT", "/api/rooms/full/layout", "application/json", `{"mode":null}`, 400, "no mode or spotlight"},
		{"room full", "POST", "/rooms/full/join", "application/sdp", minimalOffer + credentials, 429, "full"},
		{"no more viewers", "POST", "/whep/full", "application/sdp", minimalOffer + credentials, 429, "viewers"},
		{"server full", "POST", "/rooms/another/join", "application/sdp", minimalOffer + credentials, 503, "as many rooms"},
		{"server full, WHEP", "POST", "/whep/another", "application/sdp", minimalOffer + credentials, 503, "as many rooms"},
		{"GET on a WHIP endpoint", "GET", "/whip/a", "", "", 405, "method not allowed"},
		{"GET on a WHEP endpoint", "GET", "/whep/a", "", "", 405, "method not allowed"},
		{"GET of an unknown session", "GET", "/rooms/full/sessions/x", "", "", 404, "no such"},
		{"POST on a session", "POST", "/rooms/full/sessions/x", "", "", 405, "method not allowed"},
		{"PUT on a join", "PUT", "/rooms/a/join", "application/sdp", minimalOffer, 405, "method not allowed"},
		{"no such path", "GET", "/nothing-here", "", "", 404, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.say) ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%d %s %q, want %d and %q in JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.say)
			}
		})
	}
	// A method a path does not take is answered with the ones it does.
	for path, allow := range map[string]string{"/whip/a": "POST", "/whep/a": "POST", "/rooms/a/join": "POST", "/rooms/a/sessions/x": "DELETE, GET, HEAD, PATCH"} {
		methods := []string{"GET", "HEAD"}
		if strings.Contains(path, "/sessions/") {
			methods = []string{"POST", "PUT"}
		}
		for _, method := range methods {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != allow {
				t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", method, path, resp.StatusCode, resp.Header.Get("Allow"), allow)
			}
		}
	}
	// Still serving: health is fine, and the viewer receives the mix.
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after bad requests: %v %v", resp, err)
	}
	before := viewer.Stats().Frames
	eventually(t, 5*time.Second, func() error {
		if viewer.Stats().Frames <= before {
			return failure("the viewer receives no more pictures")
		}
		return nil
	})
}

// TestInternalErrorsStayInTheLog: a failure of the server's own (here a
// record folder that cannot be made) is answered 500 with a reference,
// not the error's text, which names the server's files; the log has the
// error under that reference.
func TestInternalErrorsStayInTheLog(t *testing.T) {
	var log logbuf.Buffer
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, func(c *room.Config) {
		c.RecordDir = notADir
		c.Logger = slog.New(slog.NewTextHandler(&log, nil))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "r", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// record starts a recording, which fails: 500 with a JSON body.
	record := func() map[string]string {
		t.Helper()
		resp, err := http.Post(srv.URL+"/api/rooms/r/recording", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("recording into a file: %d %v %v; want 500 and JSON", resp.StatusCode, body, err)
		}
		return body
	}
	body := record()
	ref := body["ref"]
	if len(ref) < 8 || !strings.Contains(body["error"], ref) || strings.Contains(body["error"], notADir) {
		t.Errorf("500 body %q: want a reference, in the error too, and no path", body)
	}
	if line := lineWith(log.String(), ref); !strings.Contains(line, notADir) {
		t.Errorf("log line with ref %q: %q; want the error with its path", ref, line)
	}

	// Again and again: the log takes ten at once, the others answered
	// without a reference, and counted in the next line logged.
	refs := 0
	for range 30 {
		if body := record(); body["ref"] != "" {
			refs++
		} else if !strings.Contains(body["error"], "not logged") {
			t.Errorf("500 without a reference: %q, want it to say it was not logged", body["error"])
		}
	}
	if lines := strings.Count(log.String(), "request failed"); lines > 10 || refs != lines-1 {
		t.Errorf("31 internal errors at once: %d log lines, %d answers with a reference; want at most 10, one each", lines, refs)
	}
}

// lineWith is the first line of text holding s, or "".
func lineWith(text, s string) string {
	for l := range strings.Lines(text) {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// TestReadyz: /readyz answers 200 while the server takes joins, and 503
// with a Retry-After once it is stopping (as while it is short of CPU:
// the room package's TestReady).
func TestReadyz(t *testing.T) {
	srv := testserver.Start(t, nil)
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ready\n" {
		t.Errorf("/readyz: %d %q, want 200 ready", resp.StatusCode, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Rooms.Close(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "shutting down") {
		t.Errorf("/readyz of a closed server: %d %q, Retry-After %q; want 503 saying so", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}

// TestCORS: preflights for POST with a Content-Type and for DELETE are
// answered, and Location is readable from another origin.
func TestCORS(t *testing.T) {
	srv := testserver.Start(t, nil)
	// preflight asks, as a browser does, whether a page elsewhere may
	// send method to path.
	preflight := func(path, method string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", srv.URL+path, nil)
		req.Header.Set("Origin", "http://elsewhere.example")
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, method := range []string{"POST", "DELETE", "PUT"} {
		resp := preflight("/rooms/a/join", method)
		h := resp.Header
		if resp.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") == "" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), method) ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") {
			t.Errorf("preflight for %s: %d %v", method, resp.StatusCode, h)
		}
	}
	// A WHIP client's PATCH (trickle, ICE restart) passes the preflight;
	// the endpoints taking an offer say which body they take.
	for path, accept := range map[string]string{"/whip/a": "application/sdp", "/whep/a": "application/sdp",
		"/rooms/a/join": "application/sdp", "/rooms/a/sessions/x": "", "/api/rooms/a/layout": ""} {
		resp := preflight(path, "PATCH")
		if !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "PATCH") || resp.Header.Get("Accept-Post") != accept {
			t.Errorf("OPTIONS %s: Allow-Methods %q, Accept-Post %q; want PATCH, %q", path,
				resp.Header.Get("Access-Control-Allow-Methods"), resp.Header.Get("Accept-Post"), accept)
		}
	}
	// A path the server does not serve is 404, preflight or not.
	for _, path := range []string{"/nope", "/rooms/a/joinx", "/api/rooms/a/b/c"} {
		resp := preflight(path, "POST")
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("OPTIONS %s: %d (CORS %q), want 404 with CORS", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	req, _ := http.NewRequest("PATCH", srv.URL+"/rooms/a/sessions/x", strings.NewReader("a=end-of-candidates\r\n"))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("PATCH on an unknown session: %d, want 404", resp.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "cors", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req, _ = http.NewRequest("GET", srv.URL+"/api/rooms/cors", nil)
	req.Header.Set("Origin", "http://elsewhere.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("Location not exposed: %v", resp.Header)
	}
}

// TestDemoPage: the page is served at / and each of its files at its own
// path, with their types, and with a tag of their content that a browser
// checks its copy by.
func TestDemoPage(t *testing.T) {
	srv := testserver.Start(t, nil)
	tags := map[string]string{}
	for path, ctype := range map[string]string{"/": "text/html", "/app.js": "javascript", "/mcu.js": "javascript", "/style.css": "text/css"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
		}
		// A browser checks its copy: the same file gets 304 with no body,
		// and a copy of other content gets the file.
		tag := resp.Header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q; want a quoted tag and no-cache", path, tag, resp.Header.Get("Cache-Control"))
		}
		tags[path] = tag
		for match, want := range map[string]int{tag: http.StatusNotModified, `"0123456789abcdef"`: http.StatusOK} {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.Header.Set("If-None-Match", match)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || want == http.StatusOK && !bytes.Equal(b, body) {
				t.Errorf("GET %s with If-None-Match %s: %d (%d bytes), want %d", path, match, resp.StatusCode, len(b), want)
			}
		}
	}
	if len(tags) != 4 || tags["/"] == tags["/app.js"] || tags["/app.js"] == tags["/mcu.js"] || tags["/mcu.js"] == tags["/style.css"] {
		t.Errorf("the files' tags are not each their own: %v", tags)
	}
	// The files are read only, and the page has one name: /.
	for _, c := range []struct {
		method, path string
		status       int
	}{{"POST", "/mcu.js", http.StatusMethodNotAllowed}, {"DELETE", "/app.js", http.StatusMethodNotAllowed}, {"GET", "/index.html", http.StatusNotFound}} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
	}
}

// TestRecordingKeepsDiskSpace: a recording does not start on a disk with
// less free than the server keeps (507), and one whose disk gets down to
// it says so in the room's state, takes no more of the mix, and its stop
// answers 507 with the path of the file, finalized (duration, cues) with
// what it had, while the room goes on.
func TestRecordingKeepsDiskSpace(t *testing.T) {
	const min = 1 << 30
	srv, free := lowDiskRoom(t, min)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	free.Store(min - 1)
	if refused := api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusInsufficientStorage); !strings.Contains(refused["error"], "nearly full") {
		t.Errorf("a start on a nearly full disk: %v", refused)
	}
	recordingMetrics(t, srv.URL, 0, 1, map[string]float64{})
	free.Store(min)
	path := api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusCreated)["path"]
	recordingMetrics(t, srv.URL, 1, 1, map[string]float64{})
	type state struct {
		Recording *struct{ Path, Error string } `json:"recording"`
	}
	time.Sleep(2500 * time.Millisecond)
	var st state
	if getJSON(t, srv.URL+"/api/rooms/r", &st); st.Recording == nil || st.Recording.Error != "" {
		t.Fatalf("recording with the space kept free: %+v", st.Recording)
	}
	free.Store(min - 1)
	awaitRecordingError(t, srv.URL+"/api/rooms/r", "nearly full")
	time.Sleep(time.Second) // the room goes on; the file takes none of it
	stopped := api(t, "DELETE", srv.URL+"/api/rooms/r/recording", http.StatusInsufficientStorage)
	if stopped["path"] != path {
		t.Errorf("stop on a nearly full disk: %v; want the path %s", stopped, path)
	}
	recordingMetrics(t, srv.URL, 0, 1, map[string]float64{"low_disk": 1})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] != 1 {
		t.Error("the file has no cues: not finalized")
	}
	p, err := mediatest.ProbeFile(ctx, path)
	if v, ok := p.Video(); err != nil || !ok || v.Width != 1280 || p.Duration < 2*time.Second || p.Duration > 4500*time.Millisecond {
		t.Errorf("the file: %+v, %v; want 1280 wide video of the 2.5 s before the disk got low, and at most a second more", p, err)
	}
	// With room again, a new recording starts, and ends complete.
	free.Store(min)
	api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusCreated)
	api(t, "DELETE", srv.URL+"/api/rooms/r/recording", http.StatusOK)
	recordingMetrics(t, srv.URL, 0, 1, map[string]float64{"low_disk": 1, "complete": 1})
}

// recordingMetrics checks the server's recording metrics: running
// recordings, starts refused, and recordings ended by result (those not
// in ended at 0).
func recordingMetrics(t *testing.T, url string, running, refused float64, ended map[string]float64) {
	t.Helper()
	text := scrapeMetrics(t, url)
	if got := metricValue(t, text, "mcu_recordings"); got != running {
		t.Errorf("mcu_recordings %v, want %v", got, running)
	}
	if got := metricValue(t, text, "mcu_recordings_refused_total"); got != refused {
		t.Errorf("mcu_recordings_refused_total %v, want %v", got, refused)
	}
	for _, result := range []string{"complete", "low_disk", "failed", "empty"} {
		name := fmt.Sprintf("mcu_recordings_ended_total{result=%q}", result)
		if got := metricValue(t, text, name); got != ended[result] {
			t.Errorf("%s %v, want %v", name, got, ended[result])
		}
	}
}

// TestLowDiskStopWhoseFinalizeFails: a recording that stopped taking the
// mix on a nearly full disk, and whose finalizing then fails too (the
// disk filled meanwhile, by another process), is not answered "finalized":
// its stop is the failure it is (500 with a ref, the error logged).
func TestLowDiskStopWhoseFinalizeFails(t *testing.T) {
	const min = 1 << 30
	srv, free := lowDiskRoom(t, min)
	free.Store(min)
	path := api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusCreated)["path"]
	time.Sleep(1500 * time.Millisecond)
	free.Store(min - 1)
	awaitRecordingError(t, srv.URL+"/api/rooms/r", "nearly full")
	mediatest.FillDisk(t, path) // the finalize's writes fail
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/rooms/r/recording", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusInsufficientStorage {
		t.Errorf("a stop whose finalize failed answered %d (\"the file is finalized with what it has\"); want 500 with a ref", resp.StatusCode)
	}
	recordingMetrics(t, srv.URL, 0, 0, map[string]float64{"failed": 1})
}

// TestRecordingOnAFullDisk: a recording whose disk fills says so in the
// room's state while the room goes on, and its stop answers 500 with the
// path of the file, which keeps what was written before.
func TestRecordingOnAFullDisk(t *testing.T) {
	srv, path := recordingRoom(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type state struct {
		Recording *struct{ Path, Error string } `json:"recording"`
	}
	time.Sleep(2500 * time.Millisecond) // two clusters in the file
	var st state
	if getJSON(t, srv.URL+"/api/rooms/r", &st); st.Recording == nil || st.Recording.Error != "" {
		t.Fatalf("recording before the disk filled: %+v", st.Recording)
	}
	mediatest.FillDisk(t, path)
	if said := awaitRecordingError(t, srv.URL+"/api/rooms/r", "the disk is full"); strings.Contains(said, "/") {
		t.Errorf("the room's recording error names a file: %q", said)
	}
	stopped := api(t, "DELETE", srv.URL+"/api/rooms/r/recording", http.StatusInternalServerError)
	if stopped["path"] != path || stopped["ref"] == "" {
		t.Errorf("stop after the disk filled: %v; want the path %s and a ref", stopped, path)
	}
	recordingMetrics(t, srv.URL, 0, 0, map[string]float64{"failed": 1})
	p, err := mediatest.ProbeFile(ctx, path)
	if v, ok := p.Video(); err != nil || !ok || v.Width != 1280 {
		t.Errorf("the file after the disk filled: %+v, %v; want the video written before", p, err)
	}
	// The room goes on: a new recording can start.
	api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusCreated)
}

// recordingRoom starts a server whose room "r" has a participant sending
// a clip and a recording started; it returns the server and the file.
func recordingRoom(t *testing.T) (*testserver.Server, string) {
	t.Helper()
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "r",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, api(t, "POST", srv.URL+"/api/rooms/r/recording", http.StatusCreated)["path"]
}

// TestRecordingFolderRemoved: a recording whose folder is deleted while
// it is written (a clean-up script) is not answered as a complete file at
// a path where there is nothing: the room's state says so while it runs,
// and the stop answers 500 saying the file is gone.
func TestRecordingFolderRemoved(t *testing.T) {
	srv, path := recordingRoom(t)
	time.Sleep(1500 * time.Millisecond)
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	awaitRecordingError(t, srv.URL+"/api/rooms/r", "deleted")
	stopped := api(t, "DELETE", srv.URL+"/api/rooms/r/recording", http.StatusInternalServerError)
	if !strings.Contains(stopped["error"], "no longer where it was made") || stopped["ref"] == "" {
		t.Errorf("stop of a recording whose file was deleted: %v; want it said, with a ref", stopped)
	}
	recordingMetrics(t, srv.URL, 0, 0, map[string]float64{"failed": 1})
}

// TestToken: a server that needs a token answers joins and the API 401
// without it (or with another), before reading the body; with it, they are
// served. Leaving needs only the session's key; the health check, the
// metrics, the demo page and preflights need nothing.
func TestToken(t *testing.T) {
	const token = "s3cret-token-for-the-test"
	srv := testserver.StartWithToken(t, nil, token)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	do := func(method, path, ctype, auth, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header, string(b)
	}
	for _, path := range []string{"/rooms/a/join", "/whip/a", "/whep/a"} {
		for _, auth := range []string{"", "Bearer nope", "Basic " + token, "Bearer " + token + "x", "Bearer " + token[:len(token)-1], "Bearer ", "Bearer " + strings.ToUpper(token)} {
			// An oversized body would be 413 if it were read.
			status, h, body := do("POST", path, "application/sdp", auth, strings.Repeat("a=x\r\n", 20000))
			if status != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, "token") {
				t.Errorf("POST %s with %q: %d %q %q, want 401 asking for a Bearer token", path, auth, status, h.Get("WWW-Authenticate"), body)
			}
		}
	}
	for _, api := range [][2]string{{"GET", "/api/rooms"}, {"GET", "/api/rooms/a"}, {"POST", "/api/rooms/a/recording"},
		{"DELETE", "/api/rooms/a/recording"}, {"PUT", "/api/rooms/a/layout"}} {
		if status, _, _ := do(api[0], api[1], "", "", ""); status != http.StatusUnauthorized {
			t.Errorf("%s %s without the token: %d, want 401", api[0], api[1], status)
		}
		// A part of the secret is not the secret.
		if status, _, _ := do(api[0], api[1], "", "Bearer "+token[:len(token)-1], ""); status != http.StatusUnauthorized {
			t.Errorf("%s %s with the token but its last character: %d, want 401", api[0], api[1], status)
		}
	}
	for _, open := range []string{"/healthz", "/readyz", "/metrics", "/", "/mcu.js"} {
		if status, _, _ := do("GET", open, "", "", ""); status != http.StatusOK {
			t.Errorf("GET %s without the token: %d, want 200", open, status)
		}
	}
	if status, h, _ := do("OPTIONS", "/rooms/a/join", "", "", ""); status != http.StatusNoContent || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d, allowed headers %q; want 204 allowing Authorization", status, h.Get("Access-Control-Allow-Headers"))
	}

	if _, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf")}); err == nil {
		t.Fatal("a client without the token joined")
	}
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf"), Token: token})
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	defer c.Close()
	if status, _, body := do("GET", "/api/rooms/a", "", "bearer "+token, ""); status != http.StatusOK || !strings.Contains(body, `"participants"`) {
		t.Errorf("the room's state with the token: %d %q", status, body)
	}
	// Leaving is the session's key's business alone.
	if err := c.Leave(ctx); err != nil {
		t.Errorf("leave without the token: %v", err)
	}
}

// TestWHIPHeaders: a preflight or OPTIONS names the methods a path takes
// (Allow) and, on an endpoint taking offers, the server's STUN servers as
// Link headers (RFC 9725 4.6), never its TURN servers, whose credentials
// are its own; a 503 says when to try again.
func TestWHIPHeaders(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:stun.example.com:3478", "stuns:stun.example.com:5349"}},
			{URLs: []string{"turn:turn.example.com:3478"}, Username: "mcu", Credential: "topsecret"}}
		c.GatherTimeout = time.Second
		c.MaxRooms = 1
	})
	options := func(path string) http.Header {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", srv.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	h := options("/whip/a")
	if allow := h.Get("Allow"); allow != "POST, OPTIONS" {
		t.Errorf("OPTIONS /whip/a: Allow %q, want POST, OPTIONS", allow)
	}
	if links := h.Values("Link"); len(links) != 1 || links[0] != `<stun:stun.example.com:3478>; rel="ice-server"` {
		t.Errorf("OPTIONS /whip/a: Link %q, want the STUN server alone", links)
	}
	h = options("/api/rooms/a/recording")
	if allow := h.Get("Allow"); allow != "POST, DELETE, OPTIONS" || len(h.Values("Link")) != 0 {
		t.Errorf("OPTIONS on a recording: Allow %q, Link %q; want POST, DELETE, OPTIONS and no Link", allow, h.Values("Link"))
	}
	if allow := options("/api/rooms/a").Get("Allow"); allow != "GET, HEAD, OPTIONS" {
		t.Errorf("OPTIONS on a room: Allow %q, want GET, HEAD, OPTIONS", allow)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The server's one room is open: another is refused for now.
	req, _ := http.NewRequest("POST", srv.URL+"/whip/b", strings.NewReader(minimalOffer+credentials))
	req.Header.Set("Content-Type", "application/sdp")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("a join past -max-rooms: %d, Retry-After %q; want 503 with one", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

// lowDiskRoom starts a server that keeps min bytes free on its recording
// disk, whose free space the returned value then says (stubFreeSpace), and
// has a participant send p01 in its room "r" until the test ends.
func lowDiskRoom(t *testing.T, min uint64) (*testserver.Server, *atomic.Uint64) {
	t.Helper()
	free := stubFreeSpace(t)
	srv := testserver.Start(t, func(c *room.Config) { c.RecordMinFree = min })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "r",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, free
}

// stubFreeSpace makes every disk look to have the returned value's bytes
// free, until the test ends (after the cleanup of a server started later:
// none reads it then).
func stubFreeSpace(t *testing.T) *atomic.Uint64 {
	free := new(atomic.Uint64)
	real := diskspace.Free
	diskspace.Free = func(string) (uint64, bool) { return free.Load(), true }
	t.Cleanup(func() { diskspace.Free = real })
	return free
}

// awaitRecordingError waits until the recording of the room at roomURL
// says want in its error, and returns the error.
func awaitRecordingError(t *testing.T, roomURL, want string) string {
	t.Helper()
	var said string
	eventually(t, 5*time.Second, func() error {
		var st struct {
			Recording *struct{ Error string } `json:"recording"`
		}
		if getJSON(t, roomURL, &st); st.Recording == nil || !strings.Contains(st.Recording.Error, want) {
			return failure("the room's recording does not say " + want)
		}
		said = st.Recording.Error
		return nil
	})
	return said
}
