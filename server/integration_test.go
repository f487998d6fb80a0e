package server_test

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/layout"
)

const (
	// colourTolerance: a tile's median background against its
	// participant's colour, after two lossy codings (the client's clip, the
	// mix) and scaling; the two closest participants are 40 apart.
	colourTolerance = 14
	// toneTolerance: dB between a tone heard in a mix and its level in the
	// clip (−24 dBFS), per 100 ms: a plain sum through Opus twice.
	toneTolerance = 3
	toneLevel     = -24
	// ownToneMax: one's own tone in one's mix-minus: only coding noise.
	ownToneMax = -45
)

var canvas = layout.Size{W: 1280, H: 720}

func join(t *testing.T, ctx context.Context, url, room string, id int, ext string) *client.Client {
	t.Helper()
	name := []string{"", "p01", "p02", "p03", "p04", "p05"}[id]
	c, err := client.Connect(ctx, client.Options{Server: url, Room: room, Name: name,
		Video: mediatest.TestdataPath(t, name+ext), Audio: mediatest.TestdataPath(t, name+".ogg"),
		Decode: true, KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	return c
}

// eventually retries check until it passes or the time is up.
func eventually(t *testing.T, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type failure string

func (f failure) Error() string { return string(f) }

// tilesShow checks that the picture shows participants ids in a grid, in
// order.
func tilesShow(t *testing.T, img *codec.Frame, ids []int) error {
	if img == nil {
		return failure("no picture yet")
	}
	if img.Width() != 1280 || img.Height() != 720 {
		return failure("picture is not 1280x720")
	}
	ps := mediatest.Participants(t)
	cells := layout.GridCells(len(ids), canvas)
	for i, id := range ids {
		dst, _ := layout.Place(layout.Size{W: 640, H: 360}, cells[i], layout.Fit)
		y, cb, cr := mediatest.MedianColour(&img.YCbCr, mediatest.BackgroundRegion(image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)))
		p := ps[id-1]
		if d := mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d > colourTolerance {
			return failure(p.Name + "'s colour is not in tile " + string(rune('0'+i)))
		}
	}
	return nil
}

// colourShown reports whether participant id's colour fills any block of
// a 16x16 grid over the picture: anywhere its tile could be.
func colourShown(t *testing.T, img *codec.Frame, id int) bool {
	p := mediatest.Participants(t)[id-1]
	w, h := img.Width()/16, img.Height()/16
	for y := 0; y+h <= img.Height(); y += h {
		for x := 0; x+w <= img.Width(); x += w {
			by, bcb, bcr := mediatest.MedianColour(&img.YCbCr, image.Rect(x, y, x+w, y+h))
			if mediatest.ColourDistance(by, bcb, bcr, p.Y, p.Cb, p.Cr) <= colourTolerance {
				return true
			}
		}
	}
	return false
}

// hears checks the tones in a client's received sound: the others' at
// their level, its own absent.
func hears(t *testing.T, c *client.Client, others []int, own int) error {
	pcm := c.Sound()
	if len(pcm) < 48000*2 {
		return failure("not a second of sound yet")
	}
	ps := mediatest.Participants(t)
	for _, id := range others {
		if w := toneWindows(pcm, ps[id-1].ToneHz, 0, time.Second); !mostly(w) {
			return failure(ps[id-1].Name + "'s tone per 100 ms: " + fmtLevels(w))
		}
	}
	if own > 0 {
		for _, w := range toneWindows(pcm, ps[own-1].ToneHz, 0, time.Second) {
			if l := slices.Max(w); l > ownToneMax {
				return failure("hears their own tone at " + fmtDB(l))
			}
		}
	}
	return nil
}

// toneWindows is a tone's level in each 100 ms of pcm between from and
// to, in each channel.
func toneWindows(pcm []int16, hz float64, from, to time.Duration) [][]float64 {
	var levels [][]float64
	for w := from; w+100*time.Millisecond <= to; w += 100 * time.Millisecond {
		levels = append(levels, mediatest.ToneLevels(pcm, 2, 48000, hz, w, w+100*time.Millisecond))
	}
	return levels
}

// mostly reports whether a tone is at its level, in both channels, in at
// least 60 % of the windows: a voice is there, and a sender's stall on a
// loaded test machine (a few hundred ms without its packets) does not
// fail the check.
func mostly(windows [][]float64) bool {
	n := 0
	for _, w := range windows {
		if !slices.ContainsFunc(w, func(l float64) bool { return math.Abs(l-toneLevel) > toneTolerance }) {
			n++
		}
	}
	return len(windows) > 0 && n*10 >= len(windows)*6
}

// fmtLevels writes each window's levels, a channel's after the other's
// ("-24.1/-24.0").
func fmtLevels(windows [][]float64) string {
	var s []string
	for _, w := range windows {
		var chs []string
		for _, l := range w {
			chs = append(chs, jsonNumber(l))
		}
		s = append(s, strings.Join(chs, "/"))
	}
	return strings.Join(s, " ")
}

func fmtDB(v float64) string {
	return strings.TrimRight(strings.TrimRight(jsonNumber(v), "0"), ".") + " dBFS"
}

func jsonNumber(v float64) string {
	b, _ := json.Marshal(math.Round(v*10) / 10)
	return string(b)
}

// TestOtherCodecs: participants sending VP9 and AV1 are decoded and shown.
func TestOtherCodecs(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tc := range []struct{ room, ext, codec string }{{"vp9", ".vp9.ivf", "VP9"}, {"av1", ".av1.ivf", "AV1"}} {
		t.Run(tc.codec, func(t *testing.T) {
			c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: tc.room, Name: "p12",
				Video: mediatest.TestdataPath(t, "p12"+tc.ext), Decode: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			eventually(t, 10*time.Second, func() error { return tilesShow(t, c.Picture(), []int{12}) })
			var info struct {
				Participants []struct {
					VideoCodec string `json:"video_codec"`
					Width      int    `json:"width"`
				} `json:"participants"`
			}
			getJSON(t, srv.URL+"/api/rooms/"+tc.room, &info)
			if len(info.Participants) != 1 || info.Participants[0].VideoCodec != tc.codec || info.Participants[0].Width != 640 {
				t.Errorf("the room lists %+v, want one %s participant at 640 wide", info.Participants, tc.codec)
			}
		})
	}
}

// TestRoom: four participants (VP8 and H.264) each see all four in the mix
// and hear the other three but not themselves; one leaves and is gone from
// the picture within 2 s though it keeps sending; a WHEP viewer receives
// the mix; a recording is started, stopped and checked with ffprobe and by
// decoding it.
func TestRoom(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var cs []*client.Client
	for _, p := range []struct {
		id  int
		ext string
	}{{1, ".ivf"}, {2, ".h264"}, {3, ".ivf"}, {4, ".h264"}} {
		cs = append(cs, join(t, ctx, srv.URL, "r1", p.id, p.ext))
	}
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	all := []int{1, 2, 3, 4}
	for i, c := range cs {
		eventually(t, 10*time.Second, func() error { return tilesShow(t, c.Picture(), all) })
		var others []int
		for _, id := range all {
			if id != i+1 {
				others = append(others, id)
			}
		}
		eventually(t, 10*time.Second, func() error { return hears(t, c, others, i+1) })
	}

	// A viewer gets the full mix.
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "r1", Endpoint: client.WHEP, Decode: true, KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	eventually(t, 10*time.Second, func() error { return tilesShow(t, viewer.Picture(), all) })
	eventually(t, 10*time.Second, func() error { return hears(t, viewer, all, 0) })
	// The room tells who is heard: all four (the tones never stop, and
	// four voices fit in a mix), one of them the speaker.
	var voices struct {
		Participants []struct {
			Name           string
			Heard, Speaker bool
		} `json:"participants"`
		Mixer struct{ Voices int } `json:"mixer"`
	}
	getJSON(t, srv.URL+"/api/rooms/r1", &voices)
	speakers := 0
	for _, p := range voices.Participants {
		if !p.Heard {
			t.Errorf("%s, whose tone everyone hears, not listed as heard", p.Name)
		}
		if p.Speaker {
			speakers++
		}
	}
	if len(voices.Participants) != 4 || speakers != 1 || voices.Mixer.Voices != 4 {
		t.Errorf("the room lists %+v, at most %d voices: want four, one the speaker, 4 voices", voices.Participants, voices.Mixer.Voices)
	}

	// Everyone keeps receiving. Five clients decoding 720p share the machine
	// with the server here (and go test runs other packages alongside), so
	// this only asks for a flowing stream; mcu load measures frame rates and
	// freezes on a machine that does nothing else.
	before := make([]client.Stats, len(cs))
	for i, c := range cs {
		before[i] = c.Stats()
	}
	time.Sleep(2 * time.Second)
	for i, c := range cs {
		after := c.Stats()
		frames := after.Frames - before[i].Frames
		if frames < 30 {
			t.Errorf("participant %d over 2 s: %d pictures", i+1, frames)
		}
		// RTCP sender reports for the mix's video and audio, so players can
		// keep the two in sync (pion sends one per stream every second).
		if after.SenderReports < 2 {
			t.Errorf("participant %d received %d RTCP sender reports", i+1, after.SenderReports)
		}
		t.Logf("participant %d over 2 s: %d pictures, %d freezes", i+1, frames, after.Freezes-before[i].Freezes)
	}

	// Recording.
	asked := time.Now()
	path := api(t, http.MethodPost, srv.URL+"/api/rooms/r1/recording", http.StatusCreated)["path"]
	// The file starts at the keyframe the start asks for, which the
	// participants get too: on a loaded machine it comes well after the
	// start's answer (the keyframes' 500 ms limit, then the encoder's
	// backlog: a file 3.4 s long for 4 s after the answer was seen).
	keyframes := cs[0].Stats().Keyframes
	for deadline := time.Now().Add(5 * time.Second); cs[0].Stats().Keyframes == keyframes && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	started := time.Now()
	if again := api(t, http.MethodPost, srv.URL+"/api/rooms/r1/recording", http.StatusConflict); again["path"] != path {
		t.Errorf("a second start: %v, want 409 with the running recording's path %s", again, path)
	}
	if !filepath.IsAbs(path) || !strings.HasPrefix(path, srv.Config.RecordDir) || !strings.HasSuffix(path, ".webm") {
		t.Errorf("recording path %q: want an absolute path under %s", path, srv.Config.RecordDir)
	}
	// Four seconds: long enough that one sender's stall on a loaded machine
	// (up to 0.7 s seen under the race detector) does not hide its voice.
	time.Sleep(recordingLength)
	stopping := time.Now()
	if got := api(t, http.MethodDelete, srv.URL+"/api/rooms/r1/recording", http.StatusOK)["path"]; got != path {
		t.Errorf("stop returned %q, start %q", got, path)
	}
	checkRecording(t, path, all, stopping.Sub(started), time.Since(asked))

	// Participant 4 leaves with a DELETE but keeps its connection and keeps
	// sending: its tile is gone within 2 s.
	if !colourShown(t, cs[0].Picture(), 4) {
		t.Fatal("participant 4's colour is nowhere in the picture before it leaves")
	}
	left := time.Now()
	if err := cs[3].Delete(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, func() error {
		img := cs[0].Picture()
		if img == nil {
			return failure("no picture")
		}
		if colourShown(t, img, 4) {
			return failure("participant 4's colour is still in the picture")
		}
		return tilesShow(t, img, []int{1, 2, 3})
	})
	t.Logf("participant 4's tile gone %v after its DELETE", time.Since(left).Round(time.Millisecond))
	var info struct {
		Participants []struct{ Name string } `json:"participants"`
		Viewers      int                     `json:"viewers"`
	}
	getJSON(t, srv.URL+"/api/rooms/r1", &info)
	if len(info.Participants) != 3 || info.Viewers != 1 {
		t.Errorf("room state after a leave: %+v", info)
	}
}

// recordingLength is how long TestRoom records.
const recordingLength = 4 * time.Second

// checkRecording checks the recording at path of participants ids, which
// ran at least least (from the participants' first keyframe after the
// start to the stop's request) and at most most (from the start's request
// to the stop's answer).
func checkRecording(t *testing.T, path string, ids []int, least, most time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := mediatest.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := p.Video()
	a, oka := p.Audio()
	if !okv || !oka || v.CodecName != "vp8" || v.Width != 1280 || v.Height != 720 || a.CodecName != "opus" || a.SampleRate != 48000 {
		t.Errorf("recording streams: %+v", p.Streams)
	}
	// The file starts at the first keyframe after the start (the
	// participants' first may be one already on its way, the file's the
	// next, at most half a second on) and ends at the stop. On a loaded
	// machine the API's answers take their time (a file of 4.64 s for a
	// sleep of 4 s was seen): the bounds are the times the test saw, not
	// the time it slept; the last frame's own length may end a little after.
	if p.Duration < least-500*time.Millisecond || p.Duration > most+100*time.Millisecond {
		t.Errorf("recording lasts %v, want %v to %v (recorded for %v to %v)", p.Duration, least-500*time.Millisecond, most+100*time.Millisecond, least, most)
	}
	// Its sound starts with its picture (the audio held for the first
	// keyframe is dropped, not stamped before it): the Opus track's codec
	// delay, rounded, and less than a 20 ms frame.
	if d, ok := p.AVStart(); !ok || d < -30*time.Millisecond || d > 30*time.Millisecond {
		t.Errorf("the recording's audio starts %v after its video (known: %v), want together", d, ok)
	}
	frames, pts, err := mediatest.DecodeVideo(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Pictures to the end (FrameAt would give the last one for any later
	// time), and sound as long as the file.
	if len(pts) == 0 || p.Duration-pts[len(pts)-1] > 200*time.Millisecond {
		t.Fatalf("the recording's pictures end at %v of %v", pts[max(len(pts)-1, 0)], p.Duration)
	}
	last := mediatest.FrameAt(frames, pts, p.Duration-200*time.Millisecond)
	f := &codec.Frame{YCbCr: *last}
	if err := tilesShow(t, f, ids); err != nil {
		t.Errorf("recording's picture: %v", err)
	}
	pcm, err := mediatest.DecodeAudio(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if sound := time.Duration(len(pcm)/2) * time.Second / 48000; p.Duration-sound > 200*time.Millisecond {
		t.Fatalf("the recording's sound lasts %v of %v", sound, p.Duration)
	}
	ps := mediatest.Participants(t)
	// Every voice is in the recording, at its level most of the time.
	for _, id := range ids {
		if w := toneWindows(pcm, ps[id-1].ToneHz, 500*time.Millisecond, recordingLength-500*time.Millisecond); !mostly(w) {
			t.Errorf("recording: %s's tone per 100 ms: %s", ps[id-1].Name, fmtLevels(w))
		}
	}
}

// api calls a JSON endpoint and checks the status.
func api(t *testing.T, method, url string, want int) map[string]string {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %v, want %d", method, url, resp.StatusCode, body, want)
	}
	return body
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
