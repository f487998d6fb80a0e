package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestShareSoundNotHeardByItsOwner: a participant shares a screen with
// its sound (a tab's), naming their own session as its owner
// (&owner=KEY): the others hear the share, the sharer does not (they would
// hear what they share come back late). The room's JSON says whose share
// it is. When the owner leaves, the share ends with them.
func TestShareSoundNotHeardByItsOwner(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	ann, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "tab", Name: "Ann", Video: td("p01.ivf"), Audio: td("p01.ogg"), KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ann.Close()
	bob, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "tab", Name: "Bob", Video: td("p03.ivf"), Audio: td("p03.ogg"), KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	screen, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "tab", Name: "Ann's tab", Endpoint: client.WHIP,
		Content: true, Owner: ann.Key(), Video: td("p02.ivf"), Audio: td("p02.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer screen.Close()

	var st struct {
		Participants []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Content bool   `json:"content"`
			Owner   string `json:"owner"`
		} `json:"participants"`
	}
	getJSON(t, srv.URL+"/api/rooms/tab", &st)
	annID, owner := "", "?"
	for _, p := range st.Participants {
		switch p.Name {
		case "Ann":
			annID = p.ID
		case "Ann's tab":
			owner = p.Owner
		}
	}
	if annID == "" || owner != annID {
		t.Errorf("the room lists the share's owner as %q, Ann's id %q", owner, annID)
	}

	// Bob hears Ann and her tab (p01's and p02's tones); Ann hears Bob
	// (p03's), not herself nor her tab.
	eventually(t, 10*time.Second, func() error { return hears(t, bob, []int{1, 2}, 3) })
	eventually(t, 10*time.Second, func() error {
		if err := hears(t, ann, []int{3}, 1); err != nil {
			return err
		}
		return hears(t, ann, nil, 2)
	})

	if err := ann.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		getJSON(t, srv.URL+"/api/rooms/tab", &st)
		var names []string
		for _, p := range st.Participants {
			names = append(names, p.Name)
		}
		if len(names) != 1 || names[0] != "Bob" {
			return failure("after Ann's leave the room lists " + strings.Join(names, ", ") + ", want Bob alone")
		}
		return nil
	})
	select {
	case <-screen.Ended():
	case <-time.After(10 * time.Second):
		t.Error("the share's connection is still up 10 s after its owner left")
	}
}

// TestShareOwnerRefused: an owner= that names no session of the room is
// 404, one of a publisher's or a viewer's session 400 (only a participant
// hears a mix the share's sound could be left out of), owner= on what is
// not a share 400; the server goes on serving.
func TestShareOwnerRefused(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "own", Endpoint: client.WHEP})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	camera, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "own", Name: "Ann", Video: td("p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer camera.Close()
	elsewhere, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "other", Name: "Cy", Video: td("p03.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer elsewhere.Close()
	secretless, _, _ := strings.Cut(camera.Key(), ".")

	for _, c := range []struct {
		why, query string
		status     int
	}{
		{"a viewer's key", "content=1&owner=" + url.QueryEscape(viewer.Key()), http.StatusBadRequest},
		{"another room's session", "content=1&owner=" + url.QueryEscape(elsewhere.Key()), http.StatusNotFound},
		{"the id without its secret", "content=1&owner=" + url.QueryEscape(secretless), http.StatusNotFound},
		{"an unknown key", "content=1&owner=nobody.nothing", http.StatusNotFound},
		{"an empty owner", "content=1&owner=", http.StatusBadRequest},
		{"owner= on a camera", "owner=" + url.QueryEscape(camera.Key()), http.StatusBadRequest},
	} {
		resp, err := http.Post(srv.URL+"/whip/own?"+c.query, "application/sdp", strings.NewReader(whipOffer(t)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(body), "owner") {
			t.Errorf("%s: %d %q, want %d saying what is wrong with the owner", c.why, resp.StatusCode, body, c.status)
		}
	}
	var st struct {
		Participants []struct{ Name string } `json:"participants"`
	}
	getJSON(t, srv.URL+"/api/rooms/own", &st)
	if len(st.Participants) != 1 {
		t.Errorf("after the refusals the room lists %d participants, want Ann alone", len(st.Participants))
	}
}
