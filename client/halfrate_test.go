package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestReceiverOnAPoorLinkGetsHalfTheFrames: of two participants, one
// whose link loses every third packet of the mix is put on half rate
// (the room's JSON says so) and receives about every second picture,
// while the other goes on receiving all of them, and the mix's bitrate is
// no longer held to the poor receiver's estimate.
func TestReceiverOnAPoorLinkGetsHalfTheFrames(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) {
		// A floor well under what the pictures need: a receiver is halved
		// when it can take under half of that, and one held at the floor
		// is not halved for that alone.
		c.Mixer.Video.Width, c.Mixer.Video.Height, c.Mixer.Video.Bitrate = 640, 360, 800_000
		c.MinBitrate = 50_000
	})
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	join := func(name, clip string, lose int) *client.Client {
		t.Helper()
		// The lossy one decodes, so that it asks for a keyframe when it
		// lost one: pictures are counted from the first keyframe that
		// came, and one that lost every keyframe's first packet would
		// count none.
		c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "half", Name: name, LoseVideo: lose, Decode: lose > 0,
			Video: mediatest.TestdataPath(t, clip+".ivf"), Audio: mediatest.TestdataPath(t, clip+".ogg")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	good := join("good", "p01", 0)
	poor := join("poor", "p02", 3)

	var info room.Info
	read := func() {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/rooms/half")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		info = room.Info{}
		if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
			t.Fatal(err)
		}
	}
	halved := func() (poorHalved, goodHalved bool, poorEstimate int) {
		for _, p := range info.Participants {
			switch p.Name {
			case "poor":
				poorHalved, poorEstimate = p.HalfFrameRate, p.Downlink
			case "good":
				goodHalved = p.HalfFrameRate
			}
		}
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		read()
		if p, _, _ := halved(); p || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p, g, _ := halved()
	if !p || g {
		t.Fatalf("half rate: poor %v, good %v; want the poor receiver alone (%+v)", p, g, info.Participants)
	}

	time.Sleep(time.Second) // the pictures in flight at the switch
	if poor.WaitFrames(1, 15*time.Second) < 1 {
		t.Fatal("the poor receiver got no picture in 15 s")
	}
	g0, p0 := good.Stats(), poor.Stats()
	const watch = 4 * time.Second
	time.Sleep(watch)
	g1, p1 := good.Stats(), poor.Stats()
	read()
	gotGood, gotPoor := g1.Frames-g0.Frames, p1.Frames-p0.Frames
	t.Logf("over %v: good %d pictures, poor %d; mix at %d bit/s", watch, gotGood, gotPoor, info.Mixer.Bitrate)
	// Every frame is 30 a second, half rate 15: 20 tells them apart with
	// room for a loaded machine's pauses (111 of 120 seen under load).
	if min := int(watch.Seconds() * 20); gotGood < min {
		t.Errorf("the good receiver got %d pictures in %v, want at least %d", gotGood, watch, min)
	}
	// Pictures are counted from any packet of theirs that came. Sent every
	// frame, the poor receiver would count about two thirds of them (more
	// for pictures of several packets); on half rate, up to half.
	if ratio := float64(gotPoor) / float64(gotGood); ratio < 0.2 || ratio > 0.55 {
		t.Errorf("the poor receiver got %d pictures against %d (%.2f), want half or a little less", gotPoor, gotGood, ratio)
	}
	if p, _, est := halved(); !p {
		t.Error("the poor receiver went back to every frame while still losing")
	} else if info.Mixer.Bitrate < est*3/2 {
		t.Errorf("the mix at %d bit/s, the poor receiver's estimate %d: want the mix above it (held to twice it)", info.Mixer.Bitrate, est)
	}
}
