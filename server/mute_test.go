package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestMuteSession: PUT /api/rooms/{room}/sessions/{id} with {"muted":
// true} lets a room's moderator keep someone's sound out of the mixes:
// the others stop hearing them, the room's JSON says muted and not heard;
// {"muted": false} lets them in again; each is told as a
// participant_muted event. A viewer's id or nobody's is 404, a body
// without "muted" 400, another type 415, none of them told.
func TestMuteSession(t *testing.T) {
	var events eventLog
	srv := testserver.Start(t, func(c *room.Config) { c.Events = events.add })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mute", Endpoint: client.WHEP})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	ann, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mute", Name: "Ann", Audio: td("p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer ann.Close()
	bob, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mute", Name: "Bob", Audio: td("p03.ogg"), KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	annID, _, _ := strings.Cut(ann.Key(), ".")
	viewerID, _, _ := strings.Cut(viewer.Key(), ".")
	put := func(id, ctype, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/rooms/mute/sessions/"+id, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	state := func() (muted, heard bool) {
		t.Helper()
		var st struct {
			Participants []struct {
				Name         string
				Muted, Heard bool
			} `json:"participants"`
		}
		getJSON(t, srv.URL+"/api/rooms/mute", &st)
		for _, p := range st.Participants {
			if p.Name == "Ann" {
				return p.Muted, p.Heard
			}
		}
		t.Fatal("Ann is not listed")
		return
	}
	eventually(t, 10*time.Second, func() error { return hears(t, bob, []int{1}, 3) })

	for range 2 { // the second changes nothing, and tells nothing
		if code, body := put(annID, "application/json", `{"muted": true}`); code != http.StatusOK || !strings.Contains(body, `"muted": true`) {
			t.Fatalf("muting Ann: %d %s", code, body)
		}
	}
	eventually(t, 10*time.Second, func() error { return hears(t, bob, nil, 1) })
	if muted, heard := state(); !muted || heard {
		t.Errorf("Ann muted: the room's JSON says muted %v, heard %v", muted, heard)
	}

	if code, body := put(annID, "application/json", `{"muted": false}`); code != http.StatusOK || !strings.Contains(body, `"muted": false`) {
		t.Fatalf("unmuting Ann: %d %s", code, body)
	}
	eventually(t, 10*time.Second, func() error { return hears(t, bob, []int{1}, 3) })
	if muted, _ := state(); muted {
		t.Error("Ann unmuted: the room's JSON says muted")
	}

	for _, c := range []struct {
		why, id, ctype, body string
		want                 int
	}{
		{"a viewer", viewerID, "application/json", `{"muted": true}`, http.StatusNotFound},
		{"nobody", "nobody", "application/json", `{"muted": true}`, http.StatusNotFound},
		{"no muted", annID, "application/json", `{}`, http.StatusBadRequest},
		{"not JSON", annID, "application/json", `muted`, http.StatusBadRequest},
		{"another type", annID, "text/plain", `{"muted": true}`, http.StatusUnsupportedMediaType},
	} {
		if code, body := put(c.id, c.ctype, c.body); code != c.want {
			t.Errorf("%s: %d %s, want %d", c.why, code, body, c.want)
		}
	}
	if muted, _ := state(); muted {
		t.Error("the refused requests muted Ann")
	}
	var told []string
	for _, e := range events.all() {
		if e.Type == room.EventMuted {
			told = append(told, fmt.Sprintf("%s %s %v", e.Session, e.Name, e.Muted != nil && *e.Muted))
		}
	}
	if want := []string{annID + " Ann true", annID + " Ann false"}; !slices.Equal(told, want) {
		t.Errorf("participant_muted events %q, want %q", told, want)
	}
}
