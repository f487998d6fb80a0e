package server_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestPatchICE: a session's URL takes PATCHes of SDP fragments (RFC 9725
// 4.3): trickled candidates with If-Match naming the join's ETag (204), an
// ICE restart with If-Match "*" (200, the server's fragment, a new ETag),
// after which the mix keeps coming and the old ETag is refused (412); and
// each kind of bad PATCH gets its status.
func TestPatchICE(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "ice", Name: "roamer", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-c.Connected():
	case <-ctx.Done():
		t.Fatal("not connected")
	}
	etag := c.ETag()
	if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 3 {
		t.Fatalf("the join's ETag %q, want a quoted entity tag", etag)
	}
	patch := func(url, contentType, ifMatch, body string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	const frag = "application/trickle-ice-sdpfrag"
	host := "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"
	for _, tc := range []struct {
		name, url, contentType, ifMatch, body string
		want                                  int
	}{
		{"a trickle", c.Location(), frag, etag, host, http.StatusNoContent},
		{"the end of candidates", c.Location(), frag, etag, "a=end-of-candidates\r\n", http.StatusNoContent},
		{"no If-Match", c.Location(), frag, "", host, http.StatusPreconditionRequired},
		{"another ETag", c.Location(), frag, `"0000"`, host, http.StatusPreconditionFailed},
		{"not a fragment", c.Location(), frag, etag, "hello\r\n", http.StatusBadRequest},
		{"a restart without credentials", c.Location(), frag, "*", host, http.StatusBadRequest},
		{"the wrong type", c.Location(), "application/sdp", etag, host, http.StatusUnsupportedMediaType},
		{"too large", c.Location(), frag, etag, strings.Repeat("a=x\r\n", 20000), http.StatusRequestEntityTooLarge},
		{"another session", srv.URL + "/rooms/ice/sessions/0000.0000", frag, etag, host, http.StatusNotFound},
		{"another room", strings.Replace(c.Location(), "/rooms/ice/", "/rooms/elsewhere/", 1), frag, etag, host, http.StatusNotFound},
	} {
		status, h, body := patch(tc.url, tc.contentType, tc.ifMatch, tc.body)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
		}
		if status == http.StatusNoContent && len(h.Values("ETag")) != 0 {
			t.Errorf("%s: ETag %q on a trickle's 204, want none (RFC 9725 4.3.2)", tc.name, h.Values("ETag"))
		}
	}

	// The preflight and Allow name PATCH.
	req, _ := http.NewRequest(http.MethodOptions, c.Location(), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if allow := headerTokens(resp.Header.Get("Allow")); !slices.Contains(allow, "patch") || !slices.Contains(allow, "delete") {
		t.Errorf("OPTIONS on a session: Allow %q, want PATCH and DELETE", resp.Header.Get("Allow"))
	}

	// A trickle through the client: 204, no answer and no ETag.
	if answer, tag, err := c.Patch(ctx, etag, host); err != nil || answer != "" || tag != "" {
		t.Errorf("the client's trickle: %q, %s, %v; want no answer and no ETag", answer, tag, err)
	}

	// A restart answers with a fragment of the server's new ICE (which
	// this client, not told, then cannot reach: the restart after mends
	// it).
	status, h, body := patch(c.Location(), frag, "*", "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"+host)
	if mt := h.Get("Content-Type"); status != http.StatusOK || mt != frag || !strings.Contains(body, "a=ice-ufrag:") ||
		!strings.Contains(body, "a=candidate:") || h.Get("ETag") == etag || h.Get("ETag") == "" {
		t.Fatalf("a restart: %d, Content-Type %q, ETag %q, body %q; want 200, %s, a new ETag, the server's credentials and candidates", status, mt, h.Get("ETag"), body, frag)
	}
	etag = h.Get("ETag")

	before := c.Stats().Frames
	newTag, err := c.RestartICE(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newTag == etag || !strings.HasPrefix(newTag, `"`) || c.ETag() != newTag {
		t.Fatalf("ETag %s after the restart (the client says %s), %s before: want a new one", newTag, c.ETag(), etag)
	}
	// The mix keeps coming: 30 more pictures within 5 s of the restart.
	if got := c.WaitFrames(before+30, 5*time.Second); got < before+30 {
		t.Errorf("%d pictures of the mix after the restart, want 30 or more", got-before)
	}
	if got := metricValue(t, scrapeMetrics(t, srv.URL), "mcu_ice_restarts_total"); got != 2 {
		t.Errorf("mcu_ice_restarts_total %v after two restarts, want 2", got)
	}
	if status, _, body := patch(c.Location(), frag, etag, host); status != http.StatusPreconditionFailed {
		t.Errorf("a trickle for the ICE before the restart: %d %s, want 412", status, body)
	}
	// Still one participant, the same session: it leaves with its URL.
	var info struct {
		Participants []struct{ Name string } `json:"participants"`
	}
	getJSON(t, srv.URL+"/api/rooms/ice", &info)
	if len(info.Participants) != 1 || info.Participants[0].Name != "roamer" {
		t.Errorf("after the restart the room has %+v, want the one participant", info.Participants)
	}
	if err := c.Delete(ctx); err != nil {
		t.Errorf("leaving after the restart: %v", err)
	}
}
