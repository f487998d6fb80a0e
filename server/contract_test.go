package server_test

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestWHIPAnswerLinksSTUNServers: the 201 answer to a WHIP offer names the
// server's STUN server in a Link header (RFC 9725 4.6), and not its TURN
// server, whose credentials are its own.
func TestWHIPAnswerLinksSTUNServers(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:stun.example.com:3478"}},
			{URLs: []string{"turn:turn.example.com:3478"}, Username: "mcu", Credential: "topsecret"}}
		c.GatherTimeout = time.Second
	})
	// A publisher's offer of video and sound, without its candidates.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/whip/links", "application/sdp", strings.NewReader(offer.SDP))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /whip/links: %d %s", resp.StatusCode, body)
	}
	want := []string{`<stun:stun.example.com:3478>; rel="ice-server"`}
	if links := resp.Header.Values("Link"); !slices.Equal(links, want) {
		t.Errorf("the answer's Link headers are %q, want %q: the STUN server alone", links, want)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+resp.Header.Get("Location"), nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
	}
}

// TestRoomsListsOpenRooms: GET /api/rooms lists the open rooms, each once,
// by name, and nothing else.
func TestRoomsListsOpenRooms(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"zeta", "alpha"} {
		c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: name, Video: mediatest.TestdataPath(t, "p01.ivf")})
		if err != nil {
			t.Fatalf("join %s: %v", name, err)
		}
		defer c.Close()
	}
	resp, err := http.Get(srv.URL + "/api/rooms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Rooms []struct {
			Name string `json:"name"`
		} `json:"rooms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/rooms: %d, %v", resp.StatusCode, err)
	}
	var names []string
	for _, r := range list.Rooms {
		names = append(names, r.Name)
	}
	if want := []string{"alpha", "zeta"}; !slices.Equal(names, want) {
		t.Errorf("GET /api/rooms lists %q, want %q", names, want)
	}
}

// TestLongNameCut: a display name is cut to 64 characters (not bytes: a
// name in another script keeps whole characters), trimmed of spaces.
func TestLongNameCut(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	long := "  " + strings.Repeat("ж", 100) + "  "
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "names", Name: long, Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := http.Get(srv.URL + "/api/rooms/names")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Participants []struct {
			Name string `json:"name"`
		} `json:"participants"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || len(info.Participants) != 1 {
		t.Fatalf("GET /api/rooms/names: %d, %v, %+v", resp.StatusCode, err, info)
	}
	if got, want := info.Participants[0].Name, strings.Repeat("ж", 64); got != want {
		t.Errorf("name %q (%d characters), want the first 64 characters", got, len([]rune(got)))
	}
}

// TestAnswerIsSDP: the 201 answer of every endpoint taking an offer says
// its body is application/sdp (WHIP/WHEP clients check it), and exposes
// Location and Link to a page on another origin.
func TestAnswerIsSDP(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:stun.example.com:3478"}}}
		c.GatherTimeout = time.Second
	})
	for _, tc := range []struct {
		path string
		dir  webrtc.RTPTransceiverDirection
	}{
		{"/rooms/sdp/join", webrtc.RTPTransceiverDirectionSendrecv},
		{"/whip/sdp", webrtc.RTPTransceiverDirectionSendonly},
		{"/whep/sdp", webrtc.RTPTransceiverDirectionRecvonly},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
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
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(offer.SDP))
			req.Header.Set("Content-Type", "application/sdp")
			req.Header.Set("Origin", "http://elsewhere.example")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", tc.path, resp.StatusCode, body)
			}
			defer func() {
				req, _ := http.NewRequest(http.MethodDelete, srv.URL+resp.Header.Get("Location"), nil)
				if resp, err := http.DefaultClient.Do(req); err != nil {
					t.Error(err)
				} else {
					resp.Body.Close()
				}
			}()
			if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
				t.Errorf("answer's Content-Type %q (%v), want application/sdp", resp.Header.Get("Content-Type"), err)
			}
			if !strings.HasPrefix(string(body), "v=0") {
				t.Errorf("answer %.40q, want an SDP", body)
			}
			if resp.Header.Get("Link") == "" {
				t.Errorf("no Link header: %v", resp.Header)
			}
			if etag := resp.Header.Get("ETag"); !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 3 {
				t.Errorf("ETag %q, want a quoted entity tag (RFC 9725 4.3)", etag)
			}
			exposed := headerTokens(resp.Header.Get("Access-Control-Expose-Headers"))
			for _, name := range []string{"location", "link", "etag", "retry-after"} {
				if !slices.Contains(exposed, name) {
					t.Errorf("Access-Control-Expose-Headers %q, want %s in it", resp.Header.Get("Access-Control-Expose-Headers"), name)
				}
			}
		})
	}
}

// TestPreflightAllowsWHIPHeaders: a page on another origin may send a WHIP
// or WHEP client's headers (If-Match on a PATCH, the Authorization token,
// Content-Type, and a library's own), so its requests reach the server
// instead of failing CORS; a name that is no header is not echoed.
func TestPreflightAllowsWHIPHeaders(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, tc := range []struct{ path, method string }{
		{"/whip/a", http.MethodPost}, {"/whep/a", http.MethodPost}, {"/rooms/a/join", http.MethodPost},
		{"/rooms/a/sessions/x", http.MethodPatch}, {"/rooms/a/sessions/x", http.MethodDelete},
		// A moderator's page elsewhere: mute, remove, lock.
		{"/api/rooms/a/sessions/x", http.MethodPut}, {"/api/rooms/a/sessions/x", http.MethodDelete}, {"/api/rooms/a/lock", http.MethodPut},
	} {
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+tc.path, nil)
		req.Header.Set("Origin", "http://elsewhere.example")
		req.Header.Set("Access-Control-Request-Method", tc.method)
		req.Header.Set("Access-Control-Request-Headers", "if-match, authorization, content-type, x-whip-client, bad header")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allowed := headerTokens(resp.Header.Get("Access-Control-Allow-Headers"))
		if slices.Contains(allowed, "bad header") || slices.Contains(allowed, "bad") {
			t.Errorf("preflight of %s %s: a name that is no header allowed: %q", tc.method, tc.path, resp.Header.Get("Access-Control-Allow-Headers"))
		}
		if !slices.Contains(headerTokens(strings.Join(resp.Header.Values("Vary"), ",")), "access-control-request-headers") {
			t.Errorf("preflight of %s %s: Vary %q, want Access-Control-Request-Headers (the answer depends on it)", tc.method, tc.path, resp.Header.Values("Vary"))
		}
		// A library's own header too: mcu ignores it, but a preflight
		// that refused it would stop the request.
		for _, name := range []string{"if-match", "authorization", "content-type", "x-whip-client"} {
			if resp.StatusCode/100 != 2 || !slices.Contains(allowed, name) {
				t.Errorf("preflight of %s %s: %d, Access-Control-Allow-Headers %q; want %s allowed", tc.method, tc.path,
					resp.StatusCode, resp.Header.Get("Access-Control-Allow-Headers"), name)
			}
		}
		exposed := headerTokens(resp.Header.Get("Access-Control-Expose-Headers"))
		for _, name := range []string{"location", "link", "etag", "retry-after"} {
			if !slices.Contains(exposed, name) {
				t.Errorf("preflight of %s %s: Access-Control-Expose-Headers %q, want %s in it", tc.method, tc.path, resp.Header.Get("Access-Control-Expose-Headers"), name)
			}
		}
	}
}

// headerTokens splits a comma-separated header value into lower-case names.
func headerTokens(v string) []string {
	var names []string
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
			names = append(names, name)
		}
	}
	return names
}
