package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestStatsOfAViewer: what a viewer of a room with one participant counts
// after a few seconds: pictures, from a keyframe, all of them whole on a
// loopback; sound packets; bytes, the pictures' part of them less than
// the whole; the server's sender reports; the time from posting its offer
// to the first picture, no longer than it has been waiting; the decoded
// picture's size; and the last second of sound (KeepAudio), no more.
func TestStatsOfAViewer(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "stats", Name: "p",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	posted := time.Now()
	v, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "stats", Endpoint: client.WHEP, Decode: true, KeepAudio: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.WaitFrames(30, 10*time.Second) < 30 {
		t.Fatal("the viewer got under 30 pictures in 10 s")
	}
	time.Sleep(2 * time.Second) // a sender report or two, over a second of sound
	st := v.Stats()
	t.Logf("%+v", st)
	if st.Keyframes < 1 || st.Keyframes > st.Frames/4 || st.WholeFrames < st.Frames-2 || st.WholeFrames > st.Frames {
		t.Errorf("%d pictures, %d keyframes, %d whole; want a keyframe now and then (one a few seconds), and the pictures whole (a loopback loses none)", st.Frames, st.Keyframes, st.WholeFrames)
	}
	if st.AudioPackets < 50 {
		t.Errorf("%d sound packets in over 2 s of the mix", st.AudioPackets)
	}
	if st.VideoBytes <= 0 || st.Bytes <= st.VideoBytes {
		t.Errorf("%d bytes, %d of them the pictures'; want both, the sound's on top", st.Bytes, st.VideoBytes)
	}
	if st.SenderReports < 1 {
		t.Error("no sender report received")
	}
	if st.FirstFrame <= 0 || st.FirstFrame > time.Since(posted) || st.First.Before(posted) {
		t.Errorf("first picture %v after the offer (at %v), %v since the offer was posted", st.FirstFrame, st.First.Sub(posted), time.Since(posted))
	}
	if pic := v.Picture(); pic == nil || st.Width != pic.Width() || st.Height != pic.Height() || st.Width <= 0 || st.Height <= 0 {
		t.Errorf("decoded picture %v, size %dx%d in the stats", pic != nil, st.Width, st.Height)
	}
	sound := v.Sound()
	if len(sound) != 48000*2 {
		t.Errorf("%d samples of sound kept, want a second's (%d)", len(sound), 48000*2)
	}
	// The newest second: the participant's sound goes on, and so does
	// what is kept.
	time.Sleep(500 * time.Millisecond)
	if later := v.Sound(); slices.Equal(later, sound) {
		t.Error("the sound kept did not change in half a second: want the newest")
	}
}

// TestH264ViewerCountsAndDecodes: a viewer that takes the mix in H.264
// counts its pictures from its keyframes (an SPS ahead of each) and
// decodes them.
func TestH264ViewerCountsAndDecodes(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "h264", Name: "p",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	v, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "h264", Endpoint: client.WHEP, H264: true, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if n := v.WaitFrames(30, 10*time.Second); n < 30 {
		t.Fatalf("the H.264 viewer counted %d pictures in 10 s", n)
	}
	for end := time.Now().Add(5 * time.Second); v.Picture() == nil && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	st := v.Stats()
	if v.VideoCodec() != codec.H264 || st.Keyframes < 1 || v.Picture() == nil {
		t.Errorf("the H.264 viewer: %v, %d keyframes, picture decoded %v; want H.264, a keyframe, a picture", v.VideoCodec(), st.Keyframes, v.Picture() != nil)
	}
}
