package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/layout"
)

// conferenceRoom is the room the browsers of TestConference meet in.
const conferenceRoom = "e2e-conference"

// conferenceIDs are the rows of testdata/participants.tsv that join, in
// this order (the grid's cells follow the join order).
var conferenceIDs = []int{1, 2, 3}

// The mix as the public contract describes it.
var mixSize = layout.Size{W: 1280, H: 720}

// minFPS is the lowest received frame rate accepted. The server sends
// 30 fps; a few frames a second may go to a busy machine's scheduling, but
// a mix below 20 fps is not real-time video.
const minFPS = 20

// colourTolerance is how far (Euclidean distance in 8-bit Y'CbCr) a tile's
// median colour may be from its participant's colour. testdata/README.md
// guarantees that any two participants' colours are more than 40 apart, so
// within 20 a tile cannot be closer to another participant's colour: a pass
// names the right participant, whatever the encoders, the scaling and the
// browser's conversion to RGB did to the colour.
const colourTolerance = 20

// Tone levels in the received sound; the clips' tones are at −24 dBFS. A
// participant's tone is heard if it is within 10 dB of that (Opus, mixing
// and resampling cost far less), and absent if 26 dB or more below it (the
// coding noise of Opus at one frequency is much lower still).
const (
	toneHeardDBFS  = -34
	toneAbsentDBFS = -50
)

// Bounds of the steps of TestConference.
const (
	settleTimeout = 20 * time.Second // until every tile shows its participant
	fpsWindow     = 3 * time.Second  // frame rate measured over this long
	fpsAttempts   = 4                // windows measured before giving up
	audioWindow   = time.Second      // sound recorded for the tone check
	toneAttempts  = 3                // recordings made before giving up
)

// TestConference has three headless Chromium instances, each with a
// participant's clip as its fake camera and microphone, join a room one
// after another from a page on an origin other than the server's (the page
// imports mcu.js from the server). Each must receive the 1280x720 mix at a
// real-time frame rate, see every participant's colour in the right grid
// cell, hear the others' tones but not its own, and leave with a DELETE of
// the Location its join returned.
func TestConference(t *testing.T) {
	requireTools(t)
	people := participants(t, conferenceIDs...)
	srv := testserver.Start(t, nil)
	page := servePage(t, srv.URL)
	if sameOrigin(page, srv.URL) {
		t.Fatalf("page %s and server %s share an origin: the test would not cross origins", page, srv.URL)
	}
	media := fakeMedia(t, people)

	var browsers []*browser
	for i, p := range people {
		// The page sets mcuTestReady once mcu.js is imported from the server.
		browsers = append(browsers, launch(t, p, media[i], page, "window.mcuTestReady === true"))
	}
	// The last asks for the mix in H.264 (mcu.js's videoCodec), which the
	// server then encodes for it too; it must see and hear the same as the
	// others. Its camera goes on a section of its own.
	browsers[len(browsers)-1].codec = "h264"
	// One after another, each connected before the next joins, so that the
	// grid cells are in join order.
	for _, b := range browsers {
		b.join(t, srv.URL)
	}
	checkParticipants(t, srv.URL, people, browsers)
	// A page on another origin can call the room API through mcu.js: the
	// server allows any origin, so the calls must carry no credentials.
	if n := eval[int](t, browsers[0], evalTimeout, fmt.Sprintf("mcuTest.participants(%s)", jsString(conferenceRoom))); n != len(people) {
		t.Errorf("roomInfo from the page on another origin counts %d participants, want %d", n, len(people))
	}

	// The 640x360 (16:9) pictures fill their 16:9 grid cells, so each
	// cell's BackgroundRegion is flat participant colour.
	cells := layout.GridCells(len(people), mixSize)
	for _, b := range browsers {
		b.checkColours(t, people, cells)
	}
	checkFrameRate(t, srv.URL, browsers)
	for _, b := range browsers {
		want := "video/VP8"
		if b.codec == "h264" {
			want = "video/H264"
		}
		if got := b.stats(t).Video.Codec; !strings.EqualFold(got, want) {
			t.Errorf("%s decodes the mix as %q, want %s", b.p.Name, got, want)
		}
	}
	for _, b := range browsers {
		b.checkTones(t, people)
	}
	browsers[0].restartICE(t, srv.URL, len(people))

	for i, b := range browsers {
		b.leave(t)
		info, _ := getRoom(t, srv.URL, conferenceRoom)
		if got, want := len(info.Participants), len(browsers)-i-1; got != want {
			t.Errorf("after %s left, the room lists %d participants, want %d", b.p.Name, got, want)
		}
	}
}

// servePage serves the test page on a port of its own, which makes it
// another origin than the server's, and returns the page's URL.
func servePage(t *testing.T, server string) string {
	t.Helper()
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := tmpl.Execute(&html, struct{ Server string }{server}); err != nil {
		t.Fatal(err)
	}
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html.Bytes())
	}))
	t.Cleanup(ps.Close)
	return ps.URL + "/"
}

// join joins the room from the page and checks what a page on another
// origin can see of the answer.
func (b *browser) join(t *testing.T, server string) {
	t.Helper()
	res := eval[struct {
		Origin   string `json:"origin"`
		Location string `json:"location"`
	}](t, b, joinTimeout, fmt.Sprintf("mcuTest.join(%s, %s, %s)", jsString(conferenceRoom), jsString(b.p.Name), jsString(b.codec)))
	if sameOrigin(res.Origin+"/", server) {
		t.Errorf("%s: the page runs on the server's origin %s", b.p.Name, res.Origin)
	}
	// The join throws if it cannot read Location; check it names a
	// session of this room on the server.
	prefix := server + "/rooms/" + conferenceRoom + "/sessions/"
	if !strings.HasPrefix(res.Location, prefix) || len(res.Location) == len(prefix) {
		t.Fatalf("%s: session location %q, want %s<id>", b.p.Name, res.Location, prefix)
	}
	b.location = res.Location
	t.Logf("%s joined from %s: %s", b.p.Name, res.Origin, res.Location)
}

// restartICE restarts the page's ICE through the server (a cross-origin
// PATCH with If-Match, the answer's ETag read): the connection moves to a
// new candidate pair, the mix keeps coming, and the room keeps its people.
func (b *browser) restartICE(t *testing.T, server string, people int) {
	t.Helper()
	res := eval[struct {
		Before string `json:"before"`
		After  string `json:"after"`
		ETag   string `json:"etag"`
		Sent   int    `json:"sent"`
	}](t, b, 15*time.Second, "mcuTest.restartIce()")
	if res.Before == "" || res.After == res.Before || !strings.HasPrefix(res.ETag, `"`) {
		t.Fatalf("%s: ICE restart: candidate pair %q before, %q after, ETag %q; want a new pair and an ETag", b.p.Name, res.Before, res.After, res.ETag)
	}
	// Its candidates gathered for the restart go with it (a server behind
	// a NAT may not learn them from the checks).
	if res.Sent < 1 {
		t.Errorf("%s: the ICE restart sent %d candidates, want those gathered for it", b.p.Name, res.Sent)
	}
	before := b.stats(t).Video.FramesDecoded
	deadline := time.Now().Add(5 * time.Second)
	for b.stats(t).Video.FramesDecoded < before+30 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := b.stats(t).Video.FramesDecoded - before; got < 30 {
		t.Errorf("%s: %v pictures decoded in the 5 s after the ICE restart, want 30 or more", b.p.Name, got)
	}
	if info, _ := getRoom(t, server, conferenceRoom); len(info.Participants) != people {
		t.Errorf("after %s's ICE restart the room lists %d participants, want %d", b.p.Name, len(info.Participants), people)
	}
	t.Logf("%s restarted ICE with %d candidates: pair %s -> %s, ETag %s", b.p.Name, res.Sent, res.Before, res.After, res.ETag)
}

// leave leaves from the page: a cross-origin DELETE that must succeed.
func (b *browser) leave(t *testing.T) {
	t.Helper()
	if status := eval[int](t, b, evalTimeout, "mcuTest.leave()"); status != http.StatusOK {
		t.Errorf("%s: DELETE %s: status %d, want 200", b.p.Name, b.location, status)
	}
}

// checkParticipants checks that the API lists the browsers, by name, in
// join order.
func checkParticipants(t *testing.T, server string, people []mediatest.Participant, browsers []*browser) {
	t.Helper()
	info, found := getRoom(t, server, conferenceRoom)
	if !found {
		t.Fatalf("room %s not found after the joins", conferenceRoom)
	}
	ps := info.Participants
	if len(ps) != len(people) {
		t.Fatalf("the room lists %d participants, want %d", len(ps), len(people))
	}
	// The API promises no order; the join times give it.
	slices.SortFunc(ps, func(a, b participantInfo) int { return a.Joined.Compare(b.Joined) })
	for i, p := range ps {
		if p.Name != people[i].Name {
			t.Errorf("participant %d to join is %q, want %q", i+1, p.Name, people[i].Name)
		}
		mix := "VP8"
		if browsers[i].codec == "h264" {
			mix = "H264"
		}
		// The camera goes in the browser's first choice, VP8, whatever the
		// mix comes in; its codec is known once its first picture is.
		if p.MixCodec != mix || p.VideoCodec != "" && p.VideoCodec != "VP8" {
			t.Errorf("%s sends %q and receives the mix in %q, want VP8 and %s", p.Name, p.VideoCodec, p.MixCodec, mix)
		}
	}
}

// frame is a picture of the mix as the page shows it.
type frame struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	PNG    string `json:"png"`
}

// checkColours waits until every grid cell shows its participant's colour
// in the picture this browser receives: the others' tiles and its own.
func (b *browser) checkColours(t *testing.T, people []mediatest.Participant, cells []layout.Rect) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	var last *image.YCbCr
	var problems []string
	for {
		f := eval[frame](t, b, evalTimeout, "mcuTest.frame()")
		problems = problems[:0]
		if f.Width != mixSize.W || f.Height != mixSize.H {
			problems = append(problems, fmt.Sprintf("picture is %dx%d, want %dx%d", f.Width, f.Height, mixSize.W, mixSize.H))
		} else {
			last = decodePNG(t, f.PNG)
			var report []string
			for i, p := range people {
				c := cells[i]
				region := mediatest.BackgroundRegion(image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H))
				y, cb, cr := mediatest.MedianColour(last, region)
				d := mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr)
				whose := "other"
				if p.ID == b.p.ID {
					whose = "own"
				}
				report = append(report, fmt.Sprintf("%s (%s) %.1f", p.Name, whose, d))
				if d > colourTolerance {
					nearest, nd := mediatest.Nearest(people, y, cb, cr)
					problems = append(problems, fmt.Sprintf("cell %d %v: median Y'CbCr (%d,%d,%d) is %.1f from %s's (%d,%d,%d); nearest is %s at %.1f",
						i, c, y, cb, cr, d, p.Name, p.Y, p.Cb, p.Cr, nearest.Name, nd))
				}
			}
			if len(problems) == 0 {
				t.Logf("%s sees everyone in their cells; colour distances: %s", b.p.Name, strings.Join(report, ", "))
				return
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if last != nil {
		path := filepath.Join(t.ArtifactDir(), b.p.Name+"-mix.png")
		if err := mediatest.WritePNG(path, last); err == nil {
			t.Logf("%s's last picture: %s", b.p.Name, path)
		}
	}
	t.Errorf("%s: after %v the mix is still wrong:\n\t%s", b.p.Name, settleTimeout, strings.Join(problems, "\n\t"))
}

func decodePNG(t *testing.T, b64 string) *image.YCbCr {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("picture from the page: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("picture from the page: %v", err)
	}
	return mediatest.FromRGBA(img)
}

// rtpStats is the part of an inbound-rtp report the test reads.
type rtpStats struct {
	Codec           string  `json:"codec"`     // MIME type
	Timestamp       float64 `json:"timestamp"` // ms
	FrameWidth      int     `json:"frameWidth"`
	FrameHeight     int     `json:"frameHeight"`
	FramesDecoded   int     `json:"framesDecoded"`
	FramesPerSecond float64 `json:"framesPerSecond"`
	PacketsReceived int     `json:"packetsReceived"`
	PacketsLost     int     `json:"packetsLost"`
}

type pageStats struct {
	Video *rtpStats `json:"video"`
	Audio *rtpStats `json:"audio"`
}

func (b *browser) stats(t *testing.T) pageStats {
	t.Helper()
	s := eval[pageStats](t, b, evalTimeout, "mcuTest.stats()")
	if s.Video == nil || s.Audio == nil {
		t.Fatalf("%s: no inbound video or audio in the statistics: %+v", b.p.Name, s)
	}
	return s
}

// checkFrameRate measures, in every browser over the same window, how many
// frames of the mix were decoded, and checks the decoded size. The frame
// rate is a real-time property of a machine that other work may load too (a
// CI runner, a shared workstation), so a window that falls short is
// measured again, up to fpsAttempts windows in all; a server or browser that
// cannot keep up fails every one of them. Each window is logged with what
// the server encoded meanwhile, to tell a slow server from a slow browser.
func checkFrameRate(t *testing.T, server string, browsers []*browser) {
	t.Helper()
	var problems []string
	for attempt := 1; attempt <= fpsAttempts; attempt++ {
		problems = measureFrameRate(t, server, browsers)
		if len(problems) == 0 {
			return
		}
		t.Logf("window %d of %d falls short: %s", attempt, fpsAttempts, strings.Join(problems, "; "))
	}
	t.Errorf("the mix fell short in each of %d windows of %v (%s); in the last:\n\t%s",
		fpsAttempts, fpsWindow, machineLoad(), strings.Join(problems, "\n\t"))
}

// machineLoad says how busy the machine is, for failures of real-time
// checks: when the server's own frame rate is low too, and the load is well
// above the CPU count, other work starved the test (`go test ./...` runs
// packages in parallel) rather than mcu being slow.
func machineLoad() string {
	avg, _ := os.ReadFile("/proc/loadavg") // Linux only
	if f := strings.Fields(string(avg)); len(f) >= 3 {
		return fmt.Sprintf("load average %s on %d CPUs", strings.Join(f[:3], " "), runtime.NumCPU())
	}
	return fmt.Sprintf("%d CPUs", runtime.NumCPU())
}

// measureFrameRate measures one window and says what fell short.
func measureFrameRate(t *testing.T, server string, browsers []*browser) (problems []string) {
	t.Helper()
	before := make([]pageStats, len(browsers))
	for i, b := range browsers {
		before[i] = b.stats(t)
	}
	start := time.Now()
	mix0, _ := getRoom(t, server, conferenceRoom)
	time.Sleep(fpsWindow)
	mix1, _ := getRoom(t, server, conferenceRoom)
	m0, m1 := mix0.Mixer, mix1.Mixer
	t.Logf("the server encoded %.1f fps (%d ticks late, %d frames dropped; encoding takes %s on average)",
		float64(m1.Frames-m0.Frames)/time.Since(start).Seconds(), m1.LateTicks-m0.LateTicks, m1.Dropped-m0.Dropped, m1.EncodeMean)
	for i, b := range browsers {
		after := b.stats(t)
		v0, v1 := before[i].Video, after.Video
		seconds := (v1.Timestamp - v0.Timestamp) / 1000
		fps := float64(v1.FramesDecoded-v0.FramesDecoded) / seconds
		t.Logf("%s receives %dx%d at %.1f fps (framesDecoded over %.2f s; the browser says %.0f fps); audio %d packets, %d lost",
			b.p.Name, v1.FrameWidth, v1.FrameHeight, fps, seconds, v1.FramesPerSecond, after.Audio.PacketsReceived, after.Audio.PacketsLost)
		if v1.FrameWidth != mixSize.W || v1.FrameHeight != mixSize.H {
			problems = append(problems, fmt.Sprintf("%s decoded %dx%d, want %dx%d", b.p.Name, v1.FrameWidth, v1.FrameHeight, mixSize.W, mixSize.H))
		}
		if fps < minFPS {
			problems = append(problems, fmt.Sprintf("%s decoded %.1f fps, want at least %d", b.p.Name, fps, minFPS))
		}
		if after.Audio.PacketsReceived <= before[i].Audio.PacketsReceived {
			problems = append(problems, fmt.Sprintf("%s received no audio packets", b.p.Name))
		}
	}
	return problems
}

// checkTones records what the browser plays and checks that it holds every
// other participant's tone and not its own (the server sends each
// participant the mix without them). Like the frame rate, hearing a tone
// needs the sound to arrive in real time, so a recording in which a tone is
// too weak is made again, up to toneAttempts in all. Hearing one's own tone
// is never excused.
func (b *browser) checkTones(t *testing.T, people []mediatest.Participant) {
	t.Helper()
	var weak []string
	for attempt := 1; attempt <= toneAttempts; attempt++ {
		weak = b.listen(t, people)
		if len(weak) == 0 {
			return
		}
		t.Logf("%s: recording %d of %d: %s", b.p.Name, attempt, toneAttempts, strings.Join(weak, "; "))
	}
	t.Errorf("%s: some tones were too weak in each of %d recordings (%s); in the last: %s",
		b.p.Name, toneAttempts, machineLoad(), strings.Join(weak, "; "))
}

// listen records once and measures every participant's tone. It fails the
// test if the browser hears its own tone, and returns the others' tones
// that are too weak.
func (b *browser) listen(t *testing.T, people []mediatest.Participant) (weak []string) {
	t.Helper()
	res := eval[struct {
		SampleRate int    `json:"sampleRate"`
		Channels   int    `json:"channels"`
		PCM        string `json:"pcm"`
	}](t, b, evalTimeout, fmt.Sprintf("mcuTest.audio(%d)", audioWindow.Milliseconds()))
	raw, err := base64.StdEncoding.DecodeString(res.PCM)
	if err != nil || res.Channels == 0 || res.SampleRate == 0 {
		t.Fatalf("%s: sound from the page: %d Hz, %d channels, %d bytes, %v", b.p.Name, res.SampleRate, res.Channels, len(raw), err)
	}
	pcm := make([]int16, len(raw)/2)
	binary.Read(bytes.NewReader(raw), binary.LittleEndian, pcm)
	var report []string
	for _, p := range people {
		// Heard in every channel the page gives, absent from each.
		levels := mediatest.ToneLevels(pcm, res.Channels, res.SampleRate, p.ToneHz, 0, 0)
		least, most := slices.Min(levels), slices.Max(levels)
		level := least
		if p.ID == b.p.ID {
			level = most
		}
		report = append(report, fmt.Sprintf("%s %.0f Hz %.1f dBFS", p.Name, p.ToneHz, level))
		switch {
		case p.ID == b.p.ID && level > toneAbsentDBFS:
			t.Errorf("%s hears its own tone (%.0f Hz) at %.1f dBFS, want below %d", b.p.Name, p.ToneHz, level, toneAbsentDBFS)
		case p.ID != b.p.ID && !(level >= toneHeardDBFS):
			weak = append(weak, fmt.Sprintf("%s's tone (%.0f Hz) at %.1f dBFS, want at least %d", p.Name, p.ToneHz, level, toneHeardDBFS))
		}
	}
	t.Logf("%s hears (%.1f s at %d Hz): %s", b.p.Name, float64(len(pcm)/res.Channels)/float64(res.SampleRate), res.SampleRate, strings.Join(report, ", "))
	return weak
}
