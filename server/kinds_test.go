package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/layout"
	"mcu/mixer"
	"mcu/room"
)

// TestParticipantKinds: someone with audio only and someone who sends
// nothing get placeholder tiles, a WHIP publisher is shown and receives
// nothing, a participant changing resolution mid-call keeps their tile.
func TestParticipantKinds(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	viewer, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "kinds", Endpoint: client.WHEP, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer viewer.Close()
	opts := []client.Options{
		{Name: "resizer", Video: td("p11.ivf"), Audio: td("p11.ogg")},
		{Name: "voice", Audio: td("p03.ogg")},
		{Name: "silent"},
		{Name: "whip", Endpoint: client.WHIP, Video: td("p12.webm"), Audio: td("p12.webm")},
	}
	var cs []*client.Client
	for _, o := range opts {
		o.Server, o.Room = srv.URL, "kinds"
		c, err := client.Connect(ctx, o)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	ps := mediatest.Participants(t)
	cells := layout.GridCells(4, canvas)
	tile := func(img *image.YCbCr, i int, size layout.Size) (uint8, uint8, uint8) {
		dst, _ := layout.Place(size, cells[i], layout.Fit)
		return mediatest.MedianColour(img, mediatest.BackgroundRegion(image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)))
	}
	// p11 changes size every 1.5 s of its looping clip: the server must
	// decode it at both sizes (its JSON says the size of the latest
	// picture) and show it in its tile meanwhile, while the others' tiles
	// stay right (checked on every picture once the grid has its four
	// tiles). Both sizes are 16:9, so the tile alone cannot tell them apart.
	width := func() int {
		resp, err := http.Get(srv.URL + "/api/rooms/kinds")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st struct {
			Participants []struct {
				Name  string `json:"name"`
				Width int    `json:"width"`
			} `json:"participants"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		for _, p := range st.Participants {
			if p.Name == "resizer" {
				return p.Width
			}
		}
		return 0
	}
	sizes := map[int]bool{}
	var last error
	deadline := time.Now().Add(8 * time.Second)
	for (len(sizes) < 2 || last != nil) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		pic := viewer.Picture()
		if pic == nil {
			last = failure("no picture")
			continue
		}
		img := &pic.YCbCr
		if y, cb, cr := tile(img, 3, layout.Size{W: 640, H: 360}); mediatest.ColourDistance(y, cb, cr, ps[11].Y, ps[11].Cb, ps[11].Cr) > colourTolerance {
			last = failure("the WHIP publisher's colour is not in the fourth tile (yet)")
			continue
		}
		last = nil
		for i := 1; i <= 2; i++ {
			cell := cells[i]
			if y, _, _ := mediatest.MedianColour(img, image.Rect(cell.X, cell.Y, cell.X+cell.W, cell.Y+cell.H)); y < 40 || y > 56 {
				last = failure(fmt.Sprintf("participant %q without video: tile luma %d, want the placeholder", opts[i].Name, y))
			}
		}
		if y, cb, cr := tile(img, 0, layout.Size{W: 16, H: 9}); mediatest.ColourDistance(y, cb, cr, ps[10].Y, ps[10].Cb, ps[10].Cr) > colourTolerance {
			last = failure("the resizing participant's colour is not in the first tile")
			continue
		}
		if w := width(); w == 320 || w == 480 {
			sizes[w] = true
		}
	}
	if last != nil {
		t.Fatal(last)
	}
	if len(sizes) < 2 {
		t.Errorf("the resizing participant was seen at sizes %v, want both 320 and 480 wide", sizes)
	}
	// The server sends the WHIP publisher nothing: its answer only receives.
	var answer sdp.SessionDescription
	if err := answer.UnmarshalString(cs[3].Answer()); err != nil {
		t.Fatal(err)
	}
	if len(answer.MediaDescriptions) != 2 {
		t.Errorf("the answer to the WHIP publisher has %d media sections, want 2", len(answer.MediaDescriptions))
	}
	for _, md := range answer.MediaDescriptions {
		if _, ok := md.Attribute("recvonly"); !ok {
			t.Errorf("the answer to the WHIP publisher's %s is not recvonly", md.MediaName.Media)
		}
	}
	// Pictures count from the first keyframe, which a new receiver may
	// wait for up to the coalescing interval (500 ms).
	for deadline := time.Now().Add(5 * time.Second); cs[2].Stats().Frames == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if st := cs[2].Stats(); st.Frames == 0 {
		t.Errorf("the silent participant received no picture: %+v", st)
	}
}

// TestMetrics: /metrics exposes the mixer's and the network's measures,
// and they move while a room runs.
func TestMetrics(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "m",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(1500 * time.Millisecond)
	text := scrapeMetrics(t, srv.URL)
	for _, want := range []string{"mcu_rooms 1", "mcu_participants 1", "mcu_viewers 0", "mcu_rooms_bitrate_lowered 0", "mcu_h264_receivers 0", "mcu_mixer_tick_seconds_count",
		"mcu_encode_seconds_count", "mcu_added_latency_seconds_count", "mcu_late_ticks_total", "mcu_dropped_frames_total", `mcu_keyframes_total{reason="forced"}`,
		"mcu_pli_sent_total", "mcu_pli_received_total", "mcu_bytes_in_total", "mcu_bytes_out_total", `mcu_audio_input_events_total{event="gap"}`,
		`mcu_audio_input_events_total{event="late"}`, `mcu_audio_input_events_total{event="reordered"}`, "mcu_overloaded 0", "mcu_joins_refused_overload_total 0",
		"mcu_video_frames_behind_total 0", "mcu_ice_restarts_total 0", "mcu_rooms_encoder_sped_up", `mcu_encoder_speed_changes_total{direction="faster"}`,
		"process_resident_memory_bytes"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, zero := range []string{"mcu_mixer_tick_seconds_count 0", "mcu_encode_seconds_count 0", "mcu_added_latency_seconds_count 0",
		"mcu_bytes_in_total 0", "mcu_bytes_out_total 0"} {
		if strings.Contains(text, zero+"\n") {
			t.Errorf("%s: the room ran for 1.5 s", zero)
		}
	}
	// Every stage of the media work took some CPU (where the system tells
	// a thread's CPU time), the encoder's no more than its encodes lasted.
	if runtime.GOOS != "linux" {
		return
	}
	value := func(name string) float64 { return metricValue(t, text, name) }
	for _, st := range mixer.Stages {
		v := value(fmt.Sprintf("mcu_cpu_seconds_total{stage=%q}", st))
		if st == mixer.StageH264Encode {
			if v != 0 { // nobody here takes H.264 (TestH264Receivers)
				t.Errorf("stage %s: %v s of CPU with no receiver of H.264", st, v)
			}
		} else if v <= 0 {
			t.Errorf("stage %s: %v s of CPU", st, v)
		}
	}
	// The span around an encode starts and ends a few microseconds
	// outside the timed one, and the scrape may read the counter after an
	// encode the histogram does not hold yet: one encode's worth more.
	encodeCPU, encodeWall := value(`mcu_cpu_seconds_total{stage="video_encode"}`), value("mcu_encode_seconds_sum")
	if slack := value("mcu_encode_seconds_count")*50e-6 + 0.05; encodeCPU > encodeWall+slack {
		t.Errorf("encoding took %.4f s of CPU in %.4f s", encodeCPU, encodeWall)
	}
}

// TestSingleUDPPort: with a UDP mux every session's media uses one port,
// the one announced in the answer.
func TestSingleUDPPort(t *testing.T) {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	srv := testserver.Start(t, func(c *room.Config) { c.Net.UDPMux = conn })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 2 {
		c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "udp", Video: mediatest.TestdataPath(t, "p01.ivf")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n := c.WaitFrames(10, 5*time.Second); n < 10 {
			t.Fatalf("client %d received %d pictures over the shared port", i, n)
		}
		if !strings.Contains(c.Answer(), " "+strconv.Itoa(port)+" typ host") {
			t.Errorf("answer's candidates do not use the shared port %d:\n%s", port, c.Answer())
		}
	}
	// An ICE restart over the shared port: the mix goes on.
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "udp", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Connected()
	if _, err := c.RestartICE(ctx); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Frames
	if got := c.WaitFrames(before+30, 5*time.Second) - before; got < 30 {
		t.Errorf("%d pictures over the shared port after an ICE restart, want 30 or more", got)
	}
}

// TestVanishedClient: a client that closes its connection without the
// DELETE (a closed tab) is removed, and its room closed.
func TestVanishedClient(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "gone", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Stats().Frames == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if c.Stats().Frames == 0 {
		t.Fatal("no mixed picture within 5 s: the client never took part")
	}
	c.Close() // no DELETE
	deadline = time.Now().Add(10 * time.Second)
	for {
		rooms, people, _ := srv.Rooms.Counts()
		if rooms == 0 && people == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the client vanished: %d rooms, %d participants", rooms, people)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBytesOutCountsWhatIsSent: mcu_bytes_out_total counts media sent,
// not media written for receivers whose connection never came up (pion
// sends them nothing): with a participant and two sessions that never
// connect, it is what the participant received.
func TestBytesOutCountsWhatIsSent(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "m",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A browser's offer to receive video and audio, without its candidates:
	// the server's checks never reach it.
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	var offer strings.Builder
	for line := range strings.Lines(desc.SDP) {
		if !strings.HasPrefix(line, "a=candidate") {
			offer.WriteString(line)
		}
	}
	for _, path := range []string{"/whep/m", "/rooms/m/join"} {
		resp, err := http.Post(srv.URL+path, "application/sdp", strings.NewReader(offer.String()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
	}
	time.Sleep(2 * time.Second)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	received := c.Stats().Bytes
	sent := metricValue(t, string(body), "mcu_bytes_out_total")
	// The participant's bytes carry the VP8 payload descriptors, and a
	// few packets are on their way when the two are read. Each session
	// counted that never connected would add about as much again.
	if ratio := sent / float64(received); received < 50_000 || ratio < 0.85 || ratio > 1.15 {
		t.Errorf("bytes out %.0f, the participant received %d (%.2f×); want about the same", sent, received, ratio)
	}
}

// metricValue is the value of series name in a /metrics text.
func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return v
		}
	}
	t.Errorf("/metrics lacks %s", name)
	return 0
}

// scrapeMetrics reads the server's /metrics text.
func scrapeMetrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
