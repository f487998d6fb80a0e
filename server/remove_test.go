package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestRemoveSession: DELETE /api/rooms/{room}/sessions/{id} lets a
// room's moderator end someone's session: their tile goes (a viewer sees
// only the others'), the room's JSON lists them no longer, their
// connection is closed, their share ends with them, and participant_left
// says "removed". An id that is no session of the room, or a session's
// key, is 404; the others stay.
func TestRemoveSession(t *testing.T) {
	var events eventLog
	srv := testserver.Start(t, func(c *room.Config) { c.Events = events.add })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mod", Endpoint: client.WHEP, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	var cs []*client.Client
	for _, p := range []string{"p01", "p02"} {
		c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mod", Name: p, Video: td(p + ".ivf"), Audio: td(p + ".ogg")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	screen, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "mod", Name: "p02's screen", Endpoint: client.WHIP,
		Content: true, Owner: cs[1].Key(), Video: td("p12.webm")})
	if err != nil {
		t.Fatal(err)
	}
	defer screen.Close()
	eventually(t, 10*time.Second, func() error {
		if pic := viewer.Picture(); pic == nil || !colourShown(t, pic, 2) {
			return failure("p02 not shown yet")
		}
		return nil
	})
	del := func(id string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/rooms/mod/sessions/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	key := cs[1].Key()
	id, _, _ := strings.Cut(key, ".")
	for _, bad := range []string{"nobody", key} {
		if code := del(bad); code != http.StatusNotFound {
			t.Errorf("removing %q: %d, want 404", bad, code)
		}
	}
	if code := del(id); code != http.StatusNoContent {
		t.Fatalf("removing p02: %d, want 204", code)
	}
	var st layoutState
	getJSON(t, srv.URL+"/api/rooms/mod", &st)
	if len(st.Participants) != 1 || st.Participants[0].Name != "p01" {
		t.Errorf("after p02's removal the room lists %+v, want p01 alone (p02's share ended with them)", st.Participants)
	}
	select {
	case <-cs[1].Ended():
	case <-time.After(10 * time.Second):
		t.Error("p02's connection is still up 10 s after their removal")
	}
	eventually(t, 5*time.Second, func() error {
		if pic := viewer.Picture(); pic == nil || colourShown(t, pic, 2) || !colourShown(t, pic, 1) {
			return failure("the viewer does not see p01 alone")
		}
		return nil
	})
	reasons := map[string]string{}
	for _, e := range events.all() {
		if e.Type == room.EventLeft {
			reasons[e.Name] = e.Reason
		}
	}
	if reasons["p02"] != room.LeftRemoved || reasons["p02's screen"] != room.LeftWithOwner {
		t.Errorf("left events' reasons %v: want p02 %s, their share %s", reasons, room.LeftRemoved, room.LeftWithOwner)
	}
	if code := del(id); code != http.StatusNotFound {
		t.Errorf("removing p02 again: %d, want 404", code)
	}
	// p02's client, with its key, is told why its session is over: 410,
	// its reads and its leave alike; a key with another secret is told
	// nothing (404).
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		req, _ := http.NewRequest(method, cs[1].Location(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGone || !strings.Contains(string(body), "removed") {
			t.Errorf("%s of p02's session after the removal: %d %s, want 410 saying it was removed", method, resp.StatusCode, body)
		}
	}
	forged := strings.TrimSuffix(cs[1].Location(), key) + id + ".0000"
	resp, err := http.Get(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a removed session's id with another secret: %d, want 404", resp.StatusCode)
	}
}

// eventLog keeps a server's room events (room.Config.Events).
type eventLog struct {
	mu  sync.Mutex
	evs []room.Event
}

func (l *eventLog) add(e room.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) all() []room.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]room.Event(nil), l.evs...)
}
