package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/internal/testserver"
)

// sized is minimalOffer padded with one attribute line to exactly n bytes.
func sized(n int) string {
	pad := n - len(minimalOffer) - len("a=\r\n")
	return minimalOffer + "a=" + strings.Repeat("x", pad) + "\r\n"
}

// TestBodyLimitIsExactly64KiB: a body of 64 KiB is read (and judged on
// what it says), one byte more is 413, sent with a Content-Length or
// chunked, on every endpoint that takes a body.
func TestBodyLimitIsExactly64KiB(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, tc := range []struct {
		method, path, ctype string
		fits                int // the status of a body that fits
	}{
		{"POST", "/rooms/a/join", "application/sdp", http.StatusBadRequest},
		{"POST", "/whip/a", "application/sdp", http.StatusBadRequest},
		{"POST", "/whep/a", "application/sdp", http.StatusBadRequest},
		{"PATCH", "/rooms/a/sessions/x", "application/trickle-ice-sdpfrag", http.StatusNotFound},
		{"PUT", "/api/rooms/a/layout", "application/json", http.StatusBadRequest},
	} {
		for _, chunked := range []bool{false, true} {
			for n, want := range map[int]int{64 << 10: tc.fits, 64<<10 + 1: http.StatusRequestEntityTooLarge} {
				var body io.Reader = strings.NewReader(sized(n))
				if chunked {
					body = io.MultiReader(body) // no length known: sent chunked
				}
				req, _ := http.NewRequest(tc.method, srv.URL+tc.path, body)
				req.Header.Set("Content-Type", tc.ctype)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("%s %s, %d bytes (chunked %v): %d %s, want %d", tc.method, tc.path, n, chunked, resp.StatusCode, b, want)
				}
			}
		}
	}
}

// TestOversizedExpectContinue: a client that declares a body over the
// limit and waits for "100 Continue" (curl does for large files) is
// answered 413 at once, not told to go on and upload it.
func TestOversizedExpectContinue(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, path := range []string{"/whip/a", "/rooms/a/join"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", path, 10<<20)
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		status, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil || !strings.Contains(status, " 413 ") {
			t.Errorf("POST %s declaring 10 MiB with Expect: 100-continue: first answer %q (%v), want 413", path, status, err)
		}
	}
}

// TestLayoutTakesOnlyJSON: a layout in another type is 415 (README).
func TestLayoutTakesOnlyJSON(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, ctype := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		req, _ := http.NewRequest("PUT", srv.URL+"/api/rooms/a/layout", strings.NewReader(`{"mode":"grid"}`))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(b), "application/json") {
			t.Errorf("layout as %q: %d %s, want 415 naming application/json", ctype, resp.StatusCode, b)
		}
	}
}

// TestEndpointsRefuseOffersWithNothingToDo: an offer that leaves its
// endpoint nothing to do is 400 and opens no room: a WHEP offer that
// receives nothing (a WHIP client given the WHEP URL), a WHIP offer that
// sends nothing (a WHEP player given the WHIP URL, which stood in the
// mix as an empty tile), a join that neither sends nor receives.
func TestEndpointsRefuseOffersWithNothingToDo(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, tc := range []struct {
		path string
		dir  webrtc.RTPTransceiverDirection
		say  string
	}{
		{"/whep/nothing", webrtc.RTPTransceiverDirectionSendonly, "receives nothing"},
		{"/whip/nothing", webrtc.RTPTransceiverDirectionRecvonly, "sends nothing"},
		{"/rooms/nothing/join", webrtc.RTPTransceiverDirectionSendrecv, "neither sends nor receives"},
	} {
		pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: tc.dir}); err != nil {
				t.Fatal(err)
			}
		}
		offer, err := pc.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		sdp := offer.SDP
		if strings.HasSuffix(tc.path, "/join") {
			sdp = strings.ReplaceAll(sdp, "a=sendrecv", "a=inactive")
		}
		resp, err := http.Post(srv.URL+tc.path, "application/sdp", strings.NewReader(sdp))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.say) {
			t.Errorf("POST %s with a %s offer: %d %.200s, want 400 saying %q", tc.path, tc.dir, resp.StatusCode, b, tc.say)
			if loc := resp.Header.Get("Location"); loc != "" {
				req, _ := http.NewRequest("DELETE", srv.URL+loc, nil)
				if r, err := http.DefaultClient.Do(req); err == nil {
					r.Body.Close()
				}
			}
		}
	}
	if rooms := len(srv.Rooms.Rooms()); rooms != 0 {
		t.Errorf("%d rooms open after offers that were refused, want none", rooms)
	}
}
