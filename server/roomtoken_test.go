package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/roomtoken"
	"mcu/internal/testserver"
)

// TestRoomTokens: a room token signed with the server's secret lets its
// holder do what its grants say in its room, and nothing in another room
// nor list the rooms (403); one expired, signed otherwise or
// naming no algorithm is refused (401) before the body is read; a client
// joins with one.
func TestRoomTokens(t *testing.T) {
	const secret = "s3cret-token-for-the-test-0123456789"
	srv := testserver.StartWithToken(t, nil, secret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mint := func(key string, c roomtoken.Claims) string {
		t.Helper()
		tok, err := roomtoken.Sign([]byte(key), c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	hour := time.Now().Add(time.Hour).Unix()
	person := mint(secret, roomtoken.Claims{Room: "a", Expires: hour}) // join and watch
	viewer := mint(secret, roomtoken.Claims{Room: "a", Expires: hour, Grants: []roomtoken.Grant{roomtoken.Watch}})
	host := mint(secret, roomtoken.Claims{Room: "a", Expires: hour, Grants: []roomtoken.Grant{roomtoken.Control}})
	do := func(method, path, tok string) (int, string) {
		t.Helper()
		// A body the endpoints refuse once read (400 or 415), or past
		// their limit (413): a status of auth means it was not read.
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(strings.Repeat("a=x\r\n", 20000)))
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	const passed = 0 // any status but 401 and 403: the handler ran
	for _, c := range []struct {
		method, path, tok string
		want              int
	}{
		{"POST", "/rooms/a/join", person, passed},
		{"POST", "/whip/a", person, passed},
		{"POST", "/whep/a", person, passed},
		{"GET", "/api/rooms/a", person, passed},
		{"POST", "/rooms/b/join", person, http.StatusForbidden},
		{"GET", "/api/rooms/b", person, http.StatusForbidden},
		{"POST", "/api/rooms/a/recording", person, http.StatusForbidden},
		{"DELETE", "/api/rooms/a/recording", person, http.StatusForbidden},
		{"PUT", "/api/rooms/a/layout", person, http.StatusForbidden},
		{"DELETE", "/api/rooms/a/sessions/x", person, http.StatusForbidden},
		{"PUT", "/api/rooms/a/sessions/x", person, http.StatusForbidden},
		{"PUT", "/api/rooms/a/lock", person, http.StatusForbidden},
		{"GET", "/api/rooms", person, http.StatusForbidden},
		{"GET", "/api/rooms", host, http.StatusForbidden},

		{"POST", "/whep/a", viewer, passed},
		{"GET", "/api/rooms/a", viewer, passed},
		{"POST", "/rooms/a/join", viewer, http.StatusForbidden},
		{"POST", "/whip/a", viewer, http.StatusForbidden},

		{"POST", "/api/rooms/a/recording", host, passed},
		{"DELETE", "/api/rooms/a/recording", host, passed},
		{"PUT", "/api/rooms/a/layout", host, passed},
		{"DELETE", "/api/rooms/a/sessions/x", host, passed},
		{"PUT", "/api/rooms/a/sessions/x", host, passed},
		{"PUT", "/api/rooms/a/lock", host, passed},
		{"DELETE", "/api/rooms/b/sessions/x", host, http.StatusForbidden},
		{"GET", "/api/rooms/a", host, passed},
		{"POST", "/rooms/a/join", host, http.StatusForbidden},
		{"POST", "/api/rooms/b/recording", host, http.StatusForbidden},

		{"POST", "/rooms/a/join", mint(secret, roomtoken.Claims{Room: "a", Expires: time.Now().Unix() - 1}), http.StatusUnauthorized},
		{"POST", "/rooms/a/join", mint("another-secret-of-32-characters-or-more", roomtoken.Claims{Room: "a", Expires: hour}), http.StatusUnauthorized},
		{"POST", "/rooms/a/join", "eyJhbGciOiJub25lIn0." + strings.Split(person, ".")[1] + ".", http.StatusUnauthorized},
		{"GET", "/api/rooms", secret, passed},
	} {
		status, body := do(c.method, c.path, c.tok)
		switch {
		case c.want == passed && (status == http.StatusUnauthorized || status == http.StatusForbidden):
			t.Errorf("%s %s with token %.20s…: %d %q, want it let through", c.method, c.path, c.tok, status, body)
		case c.want != passed && status != c.want:
			t.Errorf("%s %s with token %.20s…: %d %q, want %d", c.method, c.path, c.tok, status, body, c.want)
		}
	}

	// A client given a room token joins with it.
	cl, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf"), Token: person})
	if err != nil {
		t.Fatalf("join with a room token: %v", err)
	}
	defer cl.Close()
	if status, body := do("GET", "/api/rooms/a", viewer); status != http.StatusOK || !strings.Contains(body, `"participants"`) {
		t.Errorf("the room's state with a viewer's token: %d %q", status, body)
	}

	// The server's folders are for the secret's holders: a room token's
	// is told the recording's file name alone.
	path := func(body string) string {
		t.Helper()
		var v struct {
			Path      string
			Recording struct{ Path string }
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%v: %q", err, body)
		}
		return v.Path + v.Recording.Path
	}
	status, body := do("POST", "/api/rooms/a/recording", host)
	name := path(body)
	if status != http.StatusCreated || name == "" || strings.Contains(name, "/") {
		t.Errorf("a recording started with a room token: %d %q, want its file's name alone", status, body)
	}
	if _, body := do("GET", "/api/rooms/a", viewer); path(body) != name {
		t.Errorf("the room's recording as a viewer's token reads it: %q, want %q", path(body), name)
	}
	if _, body := do("GET", "/api/rooms/a", secret); !filepath.IsAbs(path(body)) || filepath.Base(path(body)) != name {
		t.Errorf("the room's recording as the secret reads it: %q, want the absolute path of %s", path(body), name)
	}
	time.Sleep(time.Second) // a picture in the file
	if status, body := do("DELETE", "/api/rooms/a/recording", host); status != http.StatusOK || path(body) != name {
		t.Errorf("the recording stopped with a room token: %d %q, want %s", status, body, name)
	}
}

// TestSessionReadsItsRoom: someone joined with a short room token (the
// README's advice); once it has expired, their page still reads its room
// through the session's URL (GET, the key its credential, as for
// leaving), told a recording's file name alone; a key without its
// secret, or a session that left, finds nothing.
func TestSessionReadsItsRoom(t *testing.T) {
	const secret = "s3cret-token-for-the-test-0123456789"
	srv := testserver.StartWithToken(t, nil, secret)
	tok, err := roomtoken.Sign([]byte(secret), roomtoken.Claims{Room: "short", Expires: time.Now().Add(2 * time.Second).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token string, body io.Reader) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/sdp")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := do("POST", "/rooms/short/join", tok, strings.NewReader(whipOffer(t)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("join: %d", resp.StatusCode)
	}
	session := resp.Header.Get("Location")
	id, _, _ := strings.Cut(filepath.Base(session), ".")
	if resp := do("POST", "/api/rooms/short/recording", secret, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("recording: %d", resp.StatusCode)
	}
	for end := time.Now().Add(5 * time.Second); do("GET", "/api/rooms/short", tok, nil).StatusCode != http.StatusUnauthorized; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the room token never expired")
		}
	}
	resp = do("GET", session, "", nil)
	var info struct {
		Participants []struct{ ID string }
		Recording    *struct{ Path string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s after the token expired: %d, %v", session, resp.StatusCode, err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("no CORS header on the session's GET")
	}
	if len(info.Participants) != 1 || info.Participants[0].ID != id {
		t.Errorf("participants %+v, want the session %s", info.Participants, id)
	}
	if info.Recording == nil || info.Recording.Path == "" || strings.Contains(info.Recording.Path, "/") {
		t.Errorf("recording %+v: want its file's name alone", info.Recording)
	}
	// With the server's secret (or from a server without one): the path.
	info.Recording = nil
	if err := json.NewDecoder(do("GET", session, secret, nil).Body).Decode(&info); err != nil || info.Recording == nil || !filepath.IsAbs(info.Recording.Path) {
		t.Errorf("recording %+v (%v) for the secret's holder: want its whole path", info.Recording, err)
	}
	for _, bad := range []string{"/rooms/short/sessions/" + id, "/rooms/short/sessions/" + id + ".00", "/rooms/other/sessions/" + filepath.Base(session)} {
		if resp := do("GET", bad, "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", bad, resp.StatusCode)
		}
	}
	if resp := do("DELETE", session, "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("leave: %d", resp.StatusCode)
	}
	if resp := do("GET", session, "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s after leaving: %d, want 404", session, resp.StatusCode)
	}
}
