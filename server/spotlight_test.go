package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestSpotlightDuringAShare: a room in the grid, a share comes (the
// speaker layout), someone is put in the spotlight meanwhile without a
// mode; the share ends: the room stays in the speaker layout with them
// large (the spotlight set the layout, which then holds). A spotlight cleared during a share, without a mode, leaves the
// share's return to the grid as it was.
func TestSpotlightDuringAShare(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	camera, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "ss", Name: "Ann", Video: td("p01.ivf"), Audio: td("p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer camera.Close()
	read := func() (st layoutState) {
		t.Helper()
		getJSON(t, srv.URL+"/api/rooms/ss", &st)
		return st
	}
	put := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/rooms/ss/layout", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ann := read().Participants[0].ID
	for _, c := range []struct {
		body, want string
	}{{`{"spotlight": "` + ann + `"}`, "speaker"}, {`{"spotlight": ""}`, "grid"}} {
		if code := put(`{"mode": "grid"}`); code != http.StatusOK {
			t.Fatal(code)
		}
		screen, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "ss", Name: "screen", Endpoint: client.WHIP, Content: true, Video: td("p12.webm")})
		if err != nil {
			t.Fatal(err)
		}
		if st := read(); st.Layout != "speaker" {
			t.Fatalf("the share: layout %s", st.Layout)
		}
		if code := put(c.body); code != http.StatusOK {
			t.Fatalf("%s: %d", c.body, code)
		}
		if err := screen.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		screen.Close()
		if st := read(); st.Layout != c.want {
			t.Errorf("%s during a share, the share over: layout %s, want %s (%+v)", c.body, st.Layout, c.want, st)
		}
	}
}
