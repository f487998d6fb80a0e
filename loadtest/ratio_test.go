package loadtest

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"mcu/codec"
)

// goodRun is a run whose ratio the summary gives: everyone joined, steady,
// /proc, the room mixing exactly what the codec cost encodes.
func goodRun() *Result {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = "http://127.0.0.1:8080", "r", 2
	vc := cfg.Mixer.Video
	r := &Result{Config: cfg, Elapsed: 14 * time.Second, Window: 10 * time.Second, Steady: true, Joined: 2,
		Participants: []ParticipantResult{
			{Name: "load-01", Joined: true, Frames: 290, FPS: 29.5, Active: 10 * time.Second},
			{Name: "load-02", Joined: true, Frames: 290, FPS: 29.5, Active: 10 * time.Second},
		},
		Server:  ServerUsage{PID: 42, Name: "mcu", Source: "/proc", CPU: 6 * time.Second, Wall: 10 * time.Second},
		Metrics: MetricsReport{Found: true},
		Clips:   []Clip{{Video: "a.ivf", Audio: "a.ogg"}, {Video: "b.ivf", Audio: "b.ogg"}},
		Cost: CodecCost{Media: time.Second, DecodeVideo: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond},
			DecodeAudio: []time.Duration{0, 0}, EncodeVideo: 300 * time.Millisecond, AudioStreams: 3},
	}
	r.Room = RoomMixer{Participants: 2, Frames: 300, Width: vc.Width, Height: vc.Height, FPS: vc.FPS,
		Bitrate: vc.Bitrate, MaxBitrate: vc.Bitrate, Voices: cfg.Mixer.Voices, Speed: vc.Speed}
	return r
}

// TestRatioGiven: the fixture gives a ratio (0.6 cores / 0.4).
func TestRatioGiven(t *testing.T) {
	if got := goodRun().Ratio(); math.Abs(got-1.5) > 1e-9 {
		t.Fatalf("baseline ratio %v, want 1.5", got)
	}
}

// TestNoRatioForWorkOfOthers: no participant of the load asked for H.264
// (-h264 0, so the codec cost has no H.264 encode), but the room encoded
// 300 H.264 pictures in the window (for a session not the load's: the
// room's h264_frames count them); or a WHEP viewer watched the room. The
// server's CPU then holds work the codec cost lacks (an H.264 encode is
// 0.15 cores in the README): no ratio, and the summary says why.
func TestNoRatioForWorkOfOthers(t *testing.T) {
	for _, c := range []struct {
		name, why string
		set       func(*Result)
	}{
		{"H.264 encoded", "the room encoded 300 pictures in H.264", func(r *Result) { r.Room.H264Frames = 300 }},
		{"a viewer", "1 viewers watched the room", func(r *Result) { r.Room.Viewers = 1 }},
	} {
		r := goodRun()
		c.set(r)
		var b bytes.Buffer
		r.WriteSummary(&b)
		if got := r.Ratio(); !math.IsNaN(got) || !strings.Contains(b.String(), "server CPU / codec cost: not given: "+c.why) {
			t.Errorf("%s: Ratio = %.2f:\n%s", c.name, got, grep(b.String(), "H.264", "codec cost:"))
		}
	}
}

// TestNoRatioWithTheRoomUnread: the room could not be read (at the end:
// RoomErr; at the window's start: RoomStale), so none of the checks that
// the server encoded what the codec cost encodes (settings, speed, voices,
// drops, late ticks, a lowered bitrate, the participants) can be made: no
// ratio.
func TestNoRatioWithTheRoomUnread(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Result)
	}{
		{"room not read at the end", func(r *Result) { r.RoomErr, r.Room = errors.New("GET /api/rooms/r: 403 Forbidden"), RoomMixer{} }},
		{"room not read at the window's start", func(r *Result) {
			// What Run leaves: the counters zero, the participants known.
			r.RoomStale, r.Room = true, RoomMixer{Participants: 2}
		}},
	} {
		r := goodRun()
		c.set(r)
		var b bytes.Buffer
		r.WriteSummary(&b)
		if got := r.Ratio(); !math.IsNaN(got) || !strings.Contains(b.String(), "server CPU / codec cost: not given: the room could not be read") {
			t.Errorf("%s: Ratio = %.2f, given without any of the room's checks:\n%s", c.name, got, grep(b.String(), "room", "codec cost:"))
		}
	}
}

func grep(s string, words ...string) string {
	var out []string
	for line := range strings.Lines(s) {
		for _, w := range words {
			if strings.Contains(line, w) {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "")
}

// TestH264CostAtTheLevel: the load's H.264 receivers say level 3.1, so a
// 1920x1080 canvas is encoded in H.264 at 1280x720, and the codec cost
// counts that encode; a room that encodes H.264 at another size (a
// receiver of a lower level) gives no ratio.
func TestH264CostAtTheLevel(t *testing.T) {
	r := goodRun()
	r.Config.H264 = 1
	r.Config.Mixer.Video.Width, r.Config.Mixer.Video.Height = 1920, 1080
	r.Room.Width, r.Room.Height = 1920, 1080
	r.Room.H264Frames = 300
	r.Participants[0].Codec = codec.H264
	r.Cost.EncodeH264 = 150 * time.Millisecond
	hc := costH264(r.Config.Mixer.Video)
	if hc.Width != 1280 || hc.Height != 720 || hc.Level != 31 || hc.Bitrate > 14_000_000 {
		t.Fatalf("the cost's H.264 encoder for a 1080p canvas: %dx%d, level %v, %d bit/s; want 1280x720 at level 3.1", hc.Width, hc.Height, hc.Level, hc.Bitrate)
	}
	r.Room.H264Size = "1280x720"
	if got := r.Ratio(); math.IsNaN(got) {
		var b bytes.Buffer
		r.WriteSummary(&b)
		t.Errorf("no ratio with the room's H.264 at the cost's size:\n%s", grep(b.String(), "codec cost"))
	}
	r.Room.H264Size = "768x432"
	var b bytes.Buffer
	r.WriteSummary(&b)
	if got := r.Ratio(); !math.IsNaN(got) || !strings.Contains(b.String(), "not given: the room encodes H.264 at 768x432, the codec cost at 1280x720") {
		t.Errorf("ratio %.2f with the room's H.264 at 768x432 and the cost's at 1280x720:\n%s", got, grep(b.String(), "codec cost"))
	}
}
