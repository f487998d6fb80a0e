package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"net/http"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/layout"
)

// TestShareScreen: a WHIP publish with content=1 is a shared screen. The
// room, in the grid, goes to the speaker layout with the screen in the
// large tile, the participants in the strip, and its JSON says which
// session is the share; when the share ends, the room is back in the grid.
// content= on another endpoint, or with another value, is refused.
func TestShareScreen(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	ps := mediatest.Participants(t)
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "share", Endpoint: client.WHEP, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	camera, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "share", Name: "Ann", Video: td("p01.ivf"), Audio: td("p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer camera.Close()
	screen, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "share", Name: "Ann's screen", Endpoint: client.WHIP, Content: true, Video: td("p12.webm")})
	if err != nil {
		t.Fatal(err)
	}
	defer screen.Close()

	type state struct {
		Layout       string `json:"layout"`
		Participants []struct {
			Name    string `json:"name"`
			Content bool   `json:"content"`
		} `json:"participants"`
	}
	read := func() state {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/rooms/share")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st state
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := read()
	if st.Layout != "speaker" {
		t.Errorf("layout %q during the share, want speaker", st.Layout)
	}
	for _, p := range st.Participants {
		if p.Content != (p.Name == "Ann's screen") {
			t.Errorf("participant %q: content %v", p.Name, p.Content)
		}
	}

	cells := layout.SpeakerCells(2, 1, canvas) // the screen joined second
	colourIn := func(img *image.YCbCr, cell layout.Rect) (uint8, uint8, uint8) {
		dst, _ := layout.Place(layout.Size{W: 640, H: 360}, cell, layout.Fit)
		return mediatest.MedianColour(img, mediatest.BackgroundRegion(image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)))
	}
	shows := func(large, small mediatest.Participant) error {
		pic := viewer.Picture()
		if pic == nil {
			return errors.New("no picture")
		}
		img := &pic.YCbCr
		if y, cb, cr := colourIn(img, cells[1]); mediatest.ColourDistance(y, cb, cr, large.Y, large.Cb, large.Cr) > colourTolerance {
			return fmt.Errorf("the large tile's colour is (%d, %d, %d), want %s's", y, cb, cr, large.Name)
		}
		if y, cb, cr := colourIn(img, cells[0]); mediatest.ColourDistance(y, cb, cr, small.Y, small.Cb, small.Cr) > colourTolerance {
			return fmt.Errorf("the strip's tile colour is (%d, %d, %d), want %s's", y, cb, cr, small.Name)
		}
		return nil
	}
	var last error
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if last = shows(ps[11], ps[0]); last == nil {
			break
		}
	}
	if last != nil {
		t.Fatalf("during the share: %v", last)
	}

	if err := screen.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if st := read(); st.Layout != "grid" || len(st.Participants) != 1 {
		t.Errorf("after the share: layout %q, %d participants; want the grid again, and Ann alone", st.Layout, len(st.Participants))
	}

	for _, c := range []struct{ path, want string }{
		{"/rooms/share/join?content=1", "content= on a join"},
		{"/whep/share?content=1", "content= on a WHEP view"},
		{"/whip/share?content=yes", "content=yes"},
	} {
		resp, err := http.Post(srv.URL+c.path, "application/sdp", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.want, resp.StatusCode)
		}
	}
}
