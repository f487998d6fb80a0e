package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/roomtoken"
	"mcu/internal/testserver"
)

// whipOffer is a pion publisher's offer of video and sound (no media
// sent): enough for a 201 and a session to PATCH.
func whipOffer(t *testing.T) string {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// TestTrickleAnswerHasNoETag: a PATCH that adds candidates without an ICE
// restart is answered 204, without a body and without an ETag (RFC 9725
// 4.3.2, and the WHEP draft: the ETag names the ICE session, which a
// trickle keeps).
func TestTrickleAnswerHasNoETag(t *testing.T) {
	srv := testserver.Start(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/whip/trickle", strings.NewReader(whipOffer(t)))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /whip/trickle: %d %s", resp.StatusCode, body)
	}
	loc, etag := srv.URL+resp.Header.Get("Location"), resp.Header.Get("ETag")
	defer func() {
		req, _ := http.NewRequest(http.MethodDelete, loc, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	req, _ = http.NewRequest(http.MethodPatch, loc, strings.NewReader("a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	req.Header.Set("If-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("a trickle: %d %q, want 204 without a body", resp.StatusCode, b)
	}
	if got := resp.Header.Values("ETag"); len(got) != 0 {
		t.Errorf("a trickle's 204 carries ETag %q: RFC 9725 4.3.2 says it MUST NOT", got)
	}
}

// TestKeyframesExportedFromZero: mcu_keyframes_total is exported from
// zero, as the other labelled counters are, so that rate() and alerts see
// a series from the first scrape (it appeared at a room's first keyframe).
func TestKeyframesExportedFromZero(t *testing.T) {
	srv := testserver.Start(t, nil)
	text := scrapeMetrics(t, srv.URL)
	for _, series := range []string{`mcu_keyframes_total{reason="forced"}`, `mcu_keyframes_total{reason="periodic"}`,
		`mcu_encoder_speed_changes_total{direction="faster"}`} {
		if !strings.Contains(text, series+" ") {
			t.Errorf("a fresh server's /metrics has no %s", series)
		}
	}
}

// TestRoomTokenGrantsMore: more of README "Room tokens": a token without
// "watch" views nothing (WHEP is the
// watch grant's alone), and a room token's holder who starts a recording
// already running is told its file's name alone in the 409 too ("to a
// room token's holder, here and in the room's JSON, the file's name
// alone").
func TestRoomTokenGrantsMore(t *testing.T) {
	const secret = "s3cret-token-for-the-test-0123456789"
	srv := testserver.StartWithToken(t, nil, secret)
	mint := func(grants ...roomtoken.Grant) string {
		t.Helper()
		tok, err := roomtoken.Sign([]byte(secret), roomtoken.Claims{Room: "a", Expires: time.Now().Add(time.Hour).Unix(), Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	do := func(method, path, tok, ctype, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	for name, tok := range map[string]string{"join": mint(roomtoken.Join), "control": mint(roomtoken.Control)} {
		if status, body := do("POST", "/whep/a", tok, "application/sdp", "x"); status != http.StatusForbidden {
			t.Errorf("POST /whep/a with a %s-only room token: %d %s, want 403 (WHEP needs watch)", name, status, body)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf"), Token: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host := mint(roomtoken.Control)
	if status, body := do("POST", "/api/rooms/a/recording", host, "", ""); status != http.StatusCreated {
		t.Fatalf("start: %d %s", status, body)
	}
	status, body := do("POST", "/api/rooms/a/recording", host, "", "")
	var v struct{ Path string }
	json.Unmarshal([]byte(body), &v)
	if status != http.StatusConflict || strings.Contains(v.Path, "/") {
		t.Errorf("a second start with a room token: %d %s, want 409 naming the file alone", status, body)
	}
	time.Sleep(500 * time.Millisecond)
	do("DELETE", "/api/rooms/a/recording", host, "", "")
}
