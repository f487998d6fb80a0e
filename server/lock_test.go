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

// TestLockRoom: PUT /api/rooms/{room}/lock with {"locked": true} lets no
// one new join the room to be seen or heard (423, saying so), while those
// in it stay and may share their screens (a share naming its owner), and
// viewers still join; the room's JSON says locked, and room_locked tells
// each change. Unlocked, joins are taken again. A body without "locked"
// is 400, an unknown room 404.
func TestLockRoom(t *testing.T) {
	var events eventLog
	srv := testserver.Start(t, func(c *room.Config) { c.Events = events.add })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	ann, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "lock", Name: "Ann", Video: td("p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer ann.Close()
	put := func(path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPut, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	locked := func() bool {
		t.Helper()
		var st struct{ Locked bool }
		getJSON(t, srv.URL+"/api/rooms/lock", &st)
		return st.Locked
	}
	for range 2 { // the second changes nothing, and tells nothing
		if code, body := put("/api/rooms/lock/lock", `{"locked": true}`); code != http.StatusOK || !strings.Contains(body, `"locked": true`) {
			t.Fatalf("locking: %d %s", code, body)
		}
	}
	if !locked() {
		t.Error("the room's JSON does not say locked")
	}
	joinFails := func(why string, opts client.Options) {
		t.Helper()
		opts.Server, opts.Room = srv.URL, "lock"
		c, err := client.Connect(ctx, opts)
		if err == nil {
			c.Close()
			t.Errorf("%s joined the locked room", why)
			return
		}
		if !strings.Contains(err.Error(), "423") || !strings.Contains(err.Error(), "locked") {
			t.Errorf("%s: %v, want 423 saying the room is locked", why, err)
		}
	}
	joinFails("Bob", client.Options{Name: "Bob", Video: td("p02.ivf")})
	joinFails("a WHIP publisher", client.Options{Endpoint: client.WHIP, Video: td("p03.ivf")})
	joinFails("a share of nobody's", client.Options{Endpoint: client.WHIP, Content: true, Video: td("p12.webm")})
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "lock", Endpoint: client.WHEP})
	if err != nil {
		t.Fatalf("a viewer of the locked room: %v", err)
	}
	defer viewer.Close()
	screen, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "lock", Endpoint: client.WHIP, Content: true, Owner: ann.Key(), Video: td("p12.webm")})
	if err != nil {
		t.Fatalf("Ann's share in the locked room: %v", err)
	}
	defer screen.Close()

	if code, body := put("/api/rooms/lock/lock", `{"locked": false}`); code != http.StatusOK || !strings.Contains(body, `"locked": false`) {
		t.Fatalf("unlocking: %d %s", code, body)
	}
	if locked() {
		t.Error("the room's JSON says locked after the unlock")
	}
	bob, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "lock", Name: "Bob", Video: td("p02.ivf")})
	if err != nil {
		t.Fatalf("Bob after the unlock: %v", err)
	}
	defer bob.Close()

	if code, _ := put("/api/rooms/lock/lock", `{}`); code != http.StatusBadRequest {
		t.Errorf("no locked: %d, want 400", code)
	}
	if code, _ := put("/api/rooms/nowhere/lock", `{"locked": true}`); code != http.StatusNotFound {
		t.Errorf("an unknown room: %d, want 404", code)
	}
	var told []string
	for _, e := range events.all() {
		if e.Type == room.EventLocked {
			if e.Locked == nil {
				t.Fatal("room_locked without locked")
			}
			told = append(told, fmt.Sprint(*e.Locked))
		}
	}
	if want := []string{"true", "false"}; !slices.Equal(told, want) {
		t.Errorf("room_locked events %q, want %q", told, want)
	}
}
