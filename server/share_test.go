package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"strings"
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

	read := func() (st layoutState) {
		t.Helper()
		getJSON(t, srv.URL+"/api/rooms/share", &st)
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
	if !read().Mixer.ScreenContent {
		t.Error("the encoder does not take the mix as screen content during the share")
	}

	if err := screen.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if st := read(); st.Layout != "grid" || len(st.Participants) != 1 {
		t.Errorf("after the share: layout %q, %d participants; want the grid again, and Ann alone", st.Layout, len(st.Participants))
	}
	// From the next picture on, which is a tick away.
	for deadline := time.Now().Add(2 * time.Second); read().Mixer.ScreenContent; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Error("the encoder still takes the mix as screen content 2 s after the share ended")
			break
		}
	}

	for _, c := range []struct{ path, want string }{
		{"/rooms/share/join?content=1", "content= on a join"},
		{"/whep/share?content=1", "content= on a WHEP view"},
		{"/whip/share?content=yes", "content=yes"},
	} {
		// A usable offer: refused for its content= alone, not for itself.
		resp, err := http.Post(srv.URL+c.path, "application/sdp", strings.NewReader(whipOffer(t)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "content=") {
			t.Errorf("%s: %d %s, want 400 for the content=", c.want, resp.StatusCode, body)
		}
	}
}

// TestSpotlight: PUT .../layout with a session's id in "spotlight" shows
// that participant large (the room goes to the speaker layout if no mode
// is given), whoever speaks; an id that is no session in the mix, a
// viewer's, gets 404; "" clears it, and so does its participant's leave.
func TestSpotlight(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	ps := mediatest.Participants(t)
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "spot", Endpoint: client.WHEP, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	var cs []*client.Client
	for _, p := range []string{"p01", "p02"} {
		c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "spot", Name: p, Video: td(p + ".ivf"), Audio: td(p + ".ogg")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	read := func() (st layoutState) {
		t.Helper()
		getJSON(t, srv.URL+"/api/rooms/spot", &st)
		return st
	}
	id := func(name string) string {
		for _, p := range read().Participants {
			if p.Name == name {
				return p.ID
			}
		}
		t.Fatalf("no participant %s", name)
		return ""
	}
	type answer struct {
		Layout    string `json:"mode"`
		Spotlight string `json:"spotlight"`
	}
	put := func(body string) (int, answer) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/api/rooms/spot/layout", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var a answer
		json.NewDecoder(resp.Body).Decode(&a)
		return resp.StatusCode, a
	}

	second := id("p02")
	if code, st := put(`{"spotlight": "` + second + `"}`); code != http.StatusOK || st.Layout != "speaker" || st.Spotlight != second {
		t.Fatalf("spotlight on p02: %d %+v; want 200, the speaker layout, p02", code, st)
	}
	if st := read(); st.Layout != "speaker" || st.Spotlight != second {
		t.Errorf("the room after the spotlight: %+v", st)
	}
	// p02 joined second: its tile is the second of the speaker layout's,
	// the large one.
	cells := layout.SpeakerCells(2, 1, canvas)
	var last error
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		pic := viewer.Picture()
		if pic == nil {
			last = errors.New("no picture")
			continue
		}
		dst, _ := layout.Place(layout.Size{W: 640, H: 360}, cells[1], layout.Fit)
		y, cb, cr := mediatest.MedianColour(&pic.YCbCr, mediatest.BackgroundRegion(image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)))
		if last = nil; mediatest.ColourDistance(y, cb, cr, ps[1].Y, ps[1].Cb, ps[1].Cr) > colourTolerance {
			last = fmt.Errorf("the large tile's colour is (%d, %d, %d), want p02's", y, cb, cr)
			continue
		}
		break
	}
	if last != nil {
		t.Errorf("p02 in the spotlight: %v", last)
	}

	key := viewer.Location()[strings.LastIndex(viewer.Location(), "/")+1:]
	viewerID, _, _ := strings.Cut(key, ".")
	for _, body := range []string{`{"spotlight": "nobody"}`, `{"spotlight": "` + viewerID + `"}`} {
		if code, _ := put(body); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", body, code)
		}
	}
	if code, st := put(`{"spotlight": ""}`); code != http.StatusOK || st.Spotlight != "" || st.Layout != "speaker" {
		t.Errorf("the spotlight cleared: %d %+v; want 200, none, the layout kept", code, st)
	}
	// The grid has no large tile: a spotlight asked for with it is
	// refused, and choosing it ends one.
	if code, _ := put(`{"mode": "grid", "spotlight": "` + second + `"}`); code != http.StatusBadRequest {
		t.Errorf("a spotlight in the grid: %d, want 400", code)
	}
	if code, st := put(`{"mode": "speaker", "spotlight": "` + second + `"}`); code != http.StatusOK || st.Spotlight != second {
		t.Errorf("a spotlight with the speaker layout: %d %+v", code, st)
	}
	if code, st := put(`{"mode": "grid"}`); code != http.StatusOK || st.Spotlight != "" || st.Layout != "grid" {
		t.Errorf("the grid chosen during a spotlight: %d %+v; want the grid, no spotlight", code, st)
	}
	if code, st := put(`{"spotlight": "` + second + `"}`); code != http.StatusOK || st.Spotlight != second || st.Layout != "speaker" {
		t.Errorf("the spotlight again: %d %+v", code, st)
	}
	if err := cs[1].Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if st := read(); st.Spotlight != "" || st.Layout != "speaker" {
		t.Errorf("after the spotlight's participant left: %+v; want no spotlight, the speaker layout kept", st)
	}
}

// layoutState is what the share and spotlight tests read of a room's
// JSON.
type layoutState struct {
	Layout       string `json:"layout"`
	Spotlight    string `json:"spotlight"`
	Participants []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Content bool   `json:"content"`
	} `json:"participants"`
	Mixer struct {
		ScreenContent bool `json:"screen_content"`
	} `json:"mixer"`
}
