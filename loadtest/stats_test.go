package loadtest

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
)

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want Spread
	}{
		{[]float64{3, 1, 2}, Spread{1, 2, 3, 3}},
		{[]float64{4, 1, 3, 2}, Spread{1, 2.5, 4, 4}},
		{[]float64{7}, Spread{7, 7, 7, 1}},
	} {
		in := append([]float64(nil), tc.xs...)
		if got := spreadOf(tc.xs); got != tc.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", tc.xs, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.xs[i] {
				t.Fatalf("spreadOf changed its input")
			}
		}
	}
	if s := spreadOf(nil); !math.IsNaN(s.Min) || !math.IsNaN(s.Median) || s.N != 0 {
		t.Errorf("empty: %+v", s)
	}
}

func TestSecondOf(t *testing.T) {
	prev := []receiverSample{
		{joined: true, frames: 100, bytes: 1000},
		{joined: true, frames: 0}, // waiting for its first picture: not a receiver yet
		{joined: true, frames: 50, bytes: 500, freezes: 1},
	}
	cur := []receiverSample{
		{joined: true, frames: 130, bytes: 201000},
		{joined: true, frames: 12, bytes: 99999},
		{joined: true, frames: 70, bytes: 100500, freezes: 2},
		{joined: true}, // joined during the interval
		{},             // not joined
	}
	s := secondOf(prev, cur, time.Second)
	want := Second{Joined: 4, Wanted: 5, Receivers: 2, FPSMean: 25, FPSMin: 20, BitrateMean: (1600000 + 800000) / 2, Freezes: 2}
	if !math.IsNaN(s.ServerCores) || !math.IsNaN(s.SelfCores) || !math.IsNaN(s.OtherCores) {
		t.Errorf("CPU shares set without CPU samples: %+v", s)
	}
	s.ServerCores, s.SelfCores, s.OtherCores = 0, 0, 0
	if s != want {
		t.Errorf("secondOf = %+v\nwant        %+v", s, want)
	}
	half := secondOf(prev[:1], cur[:1], 500*time.Millisecond)
	if half.FPSMean != 60 || half.FPSMin != 60 {
		t.Errorf("half a second: %+v", half)
	}
	none := secondOf(nil, cur, time.Second)
	if none.Receivers != 0 || !math.IsNaN(none.FPSMean) || !math.IsNaN(none.FPSMin) || none.Joined != 4 {
		t.Errorf("first interval: %+v", none)
	}
	if line := none.String(); !strings.Contains(line, "joined 4/5") || !strings.Contains(line, "fps mean - min -") ||
		!strings.Contains(line, "cores: server - load - other -") {
		t.Errorf("line %q", line)
	}
}

func TestCPUShares(t *testing.T) {
	prev := cpuSample{server: 10 * time.Second, self: 5 * time.Second, machine: 100 * time.Second}
	cur := cpuSample{server: 11 * time.Second, self: 5500 * time.Millisecond, machine: 101800 * time.Millisecond}
	server, self, other := cpuShares(prev, cur, time.Second, false)
	if !near(server, 1) || !near(self, 0.5) || !near(other, 0.3) {
		t.Errorf("separate server: %v %v %v", server, self, other)
	}
	_, _, other = cpuShares(prev, cur, time.Second, true) // the server's time is ours
	if !near(other, 1.3) {
		t.Errorf("in-process server: other %v", other)
	}
	cur.server, cur.machine = -1, -1
	server, self, other = cpuShares(prev, cur, 2*time.Second, false)
	if !math.IsNaN(server) || !near(self, 0.25) || !math.IsNaN(other) {
		t.Errorf("unknown server and machine: %v %v %v", server, self, other)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRunFPS(t *testing.T) {
	t0 := time.Unix(1000, 0)
	if got := runFPS(301, t0, t0.Add(10*time.Second)); got != 30 {
		t.Errorf("runFPS = %v, want 30", got)
	}
	if got := runFPS(1, t0, t0.Add(time.Second)); got != 0 {
		t.Errorf("one picture: %v, want 0", got)
	}
	if got := runFPS(10, t0, t0); got != 0 {
		t.Errorf("no time: %v, want 0", got)
	}
}

func TestPictureCheck(t *testing.T) {
	a, b := codec.NewFrame(64, 32), codec.NewFrame(64, 32)
	b.Y[0] = 200 // sampled by the hash
	same := codec.NewFrame(64, 32)
	c := pictureCheck{WantWidth: 64, WantHeight: 32}
	c.observe(nil)  // nothing decoded yet
	c.observe(a)    // first picture
	c.observe(b)    // changed
	c.observe(b)    // the same picture object: no new picture
	c.observe(same) // a new picture equal to a: changed from b
	if c.Seconds != 5 || c.Pictures != 4 || c.Changed != 2 || c.WrongSize != 0 || !c.OK() {
		t.Errorf("check = %+v, OK %v", c, c.OK())
	}
	still := pictureCheck{WantWidth: 64, WantHeight: 32}
	for range 4 {
		still.observe(codec.NewFrame(64, 32))
	}
	if still.Changed != 0 || still.OK() {
		t.Errorf("a still mix passed: %+v", still)
	}
	small := pictureCheck{WantWidth: 1280, WantHeight: 720}
	small.observe(a)
	if small.WrongSize != 1 || small.OK() {
		t.Errorf("a wrong size passed: %+v", small)
	}
	none := pictureCheck{WantWidth: 64, WantHeight: 32}
	none.observe(nil)
	if none.OK() {
		t.Error("no picture passed")
	}
}

func TestCodecCostArithmetic(t *testing.T) {
	c := CodecCost{
		DecodeVideo: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
		DecodeAudio: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		EncodeVideo: 300 * time.Millisecond, EncodeAudio: 30 * time.Millisecond, AudioStreams: 3,
	}
	if c.Decode() != 33*time.Millisecond || c.Total() != 363*time.Millisecond || math.Abs(c.Cores()-0.363) > 1e-9 {
		t.Errorf("decode %v total %v cores %v", c.Decode(), c.Total(), c.Cores())
	}
	if got := perSecond(50*time.Millisecond, 2*time.Second); got != 25*time.Millisecond {
		t.Errorf("perSecond = %v", got)
	}
	r := &Result{Cost: c, Server: ServerUsage{Source: "/proc", CPU: 7260 * time.Millisecond, Wall: 10 * time.Second}}
	if math.Abs(r.Server.Cores()-0.726) > 1e-9 || math.Abs(r.Ratio()-2) > 1e-9 {
		t.Errorf("server %v cores, ratio %v", r.Server.Cores(), r.Ratio())
	}
	r.Server.Source = ""
	if !math.IsNaN(r.Ratio()) {
		t.Error("ratio without a server measurement")
	}
	d := CodecCost{
		DecodeVideo: []time.Duration{30 * time.Millisecond, 40 * time.Millisecond},
		DecodeAudio: []time.Duration{3 * time.Millisecond, 4 * time.Millisecond},
		EncodeVideo: 500 * time.Millisecond, EncodeAudio: 50 * time.Millisecond, AudioStreams: 3,
	}
	m := c.Mean(d)
	if m.DecodeVideo[1] != 30*time.Millisecond || m.DecodeAudio[0] != 2*time.Millisecond || m.EncodeVideo != 400*time.Millisecond ||
		m.EncodeAudio != 40*time.Millisecond || m.AudioStreams != 3 || math.Abs(m.Cores()-(c.Cores()+d.Cores())/2) > 1e-9 {
		t.Errorf("mean of %+v and %+v = %+v", c, d, m)
	}
}

// The summary of a made-up run says what a reader needs, and survives
// missing measurements.
func TestWriteSummary(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = "http://127.0.0.1:8080", "r", 3
	tick := hist([]float64{0.001, 0.002, 0.004}, 50, 40, 10, 0)
	r := &Result{Config: cfg, Elapsed: 14 * time.Second, Window: 10 * time.Second, Steady: true, Joined: 2,
		Participants: []ParticipantResult{
			{Name: "load-01", Joined: true, FirstFrame: 300 * time.Millisecond, Frames: 290, FPS: 29.5, Active: 10 * time.Second, Bytes: 1 << 20,
				Check: &pictureCheck{Seconds: 10, Pictures: 9, Changed: 8, Width: 1280, Height: 720, WantWidth: 1280, WantHeight: 720}},
			{Name: "load-02", Joined: true, FirstFrame: 500 * time.Millisecond, Frames: 280, FPS: 28.5, Freezes: 1, Active: 9 * time.Second},
			{Name: "load-03", JoinErr: errTest},
		},
		Server: ServerUsage{PID: 42, Name: "mcu", Source: "/proc", CPU: 12 * time.Second, Wall: 10 * time.Second, PeakRSS: 200 << 20},
		Metrics: MetricsReport{Found: true, MetricsDelta: MetricsDelta{Tick: tick, LateTicks: 3, ProcessCPU: 12500 * time.Millisecond,
			StageCPU: map[string]time.Duration{"video_decode": 2 * time.Second, "video_encode": 3 * time.Second, "audio_mix": time.Second}}},
		Clips:      []Clip{{Video: "a.ivf", Audio: "a.ogg"}, {Video: "b.ivf", Audio: "b.ogg"}, {Video: "c.ivf"}},
		Cost:       CodecCost{Media: time.Second, DecodeVideo: []time.Duration{0, 0, 0}, DecodeAudio: []time.Duration{0, 0, 0}, EncodeVideo: 400 * time.Millisecond, AudioStreams: 3},
		CostBefore: 0.35, CostAfter: 0.45,
		SelfCPU: 5 * time.Second,
	}
	var b bytes.Buffer
	r.WriteSummary(&b)
	out := b.String()
	for _, want := range []string{
		"2/3 participants joined", "load-03: test error",
		"min 300ms  median 400ms  max 500ms",
		"fps over the run: min 28.5  median 29.0", "freezes (gaps > 200ms) 1",
		"1280x720 (want 1280x720), changed in 8 of 8 seconds with a picture: ok",
		"server CPU (pid 42, mcu): 1.20 cores (12.0 s CPU in the last 10s of the run, from 2s or more after the last join)", "peak RSS 200 MiB",
		"server metrics over the last 10s of the run",
		"mixer tick     p50 1.00ms", "late ticks 3",
		"encode         no observations",
		"CPU by stage, cores: video decode+scale 0.200, video encode 0.300, audio mix+encode 0.100; the rest 0.600 (network, RTP, the Go runtime)",
		"server CPU / codec cost: not given: 2 of 3 participants joined, and the codec cost is that of 3", "load tool CPU: 0.50 cores",
		"before and after the run, 1s of media each; mean): 0.400 cores (0.350 before, 0.450 after)",
		"encode Opus x3: 0.000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "WARNING") {
		t.Errorf("/proc and the metrics agree within a tenth, yet:\n%s", out)
	}
	// Everyone joined, the room mixing what the codec cost encodes: the
	// ratio, split.
	r.Config.N = 2
	r.Room.Participants = 2
	vc := r.Config.Mixer.Video
	r.Room.Width, r.Room.Height, r.Room.FPS, r.Room.Bitrate, r.Room.MaxBitrate = vc.Width, vc.Height, vc.FPS, vc.Bitrate, vc.Bitrate
	r.Room.Voices = r.Config.Mixer.Voices
	r.Room.Speed = vc.Speed
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "server CPU / codec cost: 3.00 = the media stages 1.50 + the rest 1.50") {
		t.Errorf("summary lacks the ratio:\n%s", out)
	}
	// A room without a limit mixes the same two voices (of the clips with
	// sound) as the codec cost's four: the ratio.
	r.Room.Voices = 0
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "server CPU / codec cost: 3.00") {
		t.Errorf("a room mixing every voice, two of them: no ratio:\n%s", out)
	}
	r.Room.Voices = r.Config.Mixer.Voices
	// A participant stopped sending: no ratio, and it is named.
	r.Participants[0].SendErr = errTest
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "load-01 stopped sending: test error") ||
		!strings.Contains(out, "server CPU / codec cost: not given: 1 participants stopped sending") {
		t.Errorf("summary of a run where one stopped sending:\n%s", out)
	}
	r.Participants[0].SendErr = nil
	// What else leaves the server decoding less than the codec cost's N:
	// no ratio, and why.
	for _, c := range []struct {
		name string
		set  func(r *Result)
		why  string
	}{
		{"one less in the room", func(r *Result) { r.Room.Participants = 1 }, "the room held 1 participants at the end"},
		{"keyframes asked for", func(r *Result) { r.Metrics.PLISent = 3 }, "the server asked participants for 3 keyframes"},
		{"lossy", func(r *Result) { r.Config.Lossy = 1 }, "-lossy lowers the mix's bitrate"},
		{"capped", func(r *Result) { r.Config.Capped, r.Config.Link = 1, 500_000 }, "-capped may lower the mix's bitrate"},
		{"counts from the start", func(r *Result) { r.Metrics.FromStart, r.Metrics.PLISent = true, 2 }, "the server asked participants for 2 keyframes, which count the joins'"},
		{"pictures dropped", func(r *Result) { r.Room.Dropped = 4 }, "the server dropped 4 pictures and was late for 0 ticks"},
		{"late ticks", func(r *Result) { r.Room.LateTicks = 2 }, "the server dropped 0 pictures and was late for 2 ticks"},
		{"mix lowered", func(r *Result) { r.Room.Bitrate, r.Room.MaxBitrate = 900_000, 1_500_000 }, "the mix ran at 900000 bit/s at the end"},
		{"other settings", func(r *Result) {
			r.Room.Width, r.Room.Height, r.Room.FPS, r.Room.MaxBitrate = 1280, 720, 15, r.Config.Mixer.Video.Bitrate
		}, "the room mixes 1280x720 at 15 fps"},
		{"other voices", func(r *Result) { r.Room.Voices = 1 }, "the room mixes 1 voices, the codec cost 2"},
		{"encoder sped up", func(r *Result) { r.Room.Speed, r.Room.SpeedChanges = r.Config.Mixer.Video.Speed-2, 1 },
			"the server's encoder changed its speed 1 times in the window"},
		{"encoder sped up and back", func(r *Result) { r.Room.SpeedChanges = 2 }, "the server's encoder changed its speed 2 times in the window"},
		{"another speed", func(r *Result) { r.Room.Speed = r.Config.Mixer.Video.Speed - 4 },
			fmt.Sprintf("the room's encoder runs at speed %d, the codec cost at %d", r.Config.Mixer.Video.Speed-4, r.Config.Mixer.Video.Speed)},
		{"H.264 asked for by two, received by one", func(r *Result) {
			r.Config.H264 = 2
			r.Participants = slices.Clone(r.Participants)
			r.Participants[0].Codec, r.Participants[1].Codec = codec.H264, codec.VP8
		}, "1 of the 2 participants asking for H.264 received it"},
		{"H.264 pictures dropped", func(r *Result) {
			r.Config.H264 = 1
			r.Participants = slices.Clone(r.Participants)
			r.Participants[0].Codec = codec.H264
			r.Room.H264Frames, r.Room.H264Dropped = 294, 4
		}, "the server left 4 of 298 pictures unencoded in H.264"},
	} {
		rc := *r
		c.set(&rc)
		b.Reset()
		rc.WriteSummary(&b)
		if out := b.String(); !strings.Contains(out, "server CPU / codec cost: not given: "+c.why) {
			t.Errorf("%s: the summary gives a ratio, or no reason:\n%s", c.name, out)
		}
	}
	// H.264 asked for and received, none dropped: the ratio, and the
	// summary says so.
	h := *r
	h.Config.H264 = 1
	h.Participants = slices.Clone(r.Participants)
	h.Participants[0].Codec = codec.H264
	h.Room.H264Frames, h.Room.H264Dropped = 297, 3 // 1 %: the cost is that of what was encoded, near enough
	b.Reset()
	h.WriteSummary(&b)
	for _, want := range []string{"server CPU / codec cost: 3.00", "1 asking for the mix in H.264, 1 receiving it",
		"decoded mix (H264) at load-01", "fps), 297 in H.264 (3 not, its encoder busy)"} {
		if out := b.String(); !strings.Contains(out, want) {
			t.Errorf("a run with an H.264 receiver: the summary lacks %q:\n%s", want, out)
		}
	}
	// The room unread at the window's start: its counters are left out,
	// its participants at the end still shown.
	stale := *r
	stale.RoomStale = true
	b.Reset()
	stale.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, `room "r": 2 participants seen by the server at the end; its mixer's counters left out`) {
		t.Errorf("summary with the room unread at the start:\n%s", out)
	}
	// The server inside the load tool: no ratio.
	r.Server.InProcess = true
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "server CPU / codec cost: not given: the server runs inside the load tool") {
		t.Errorf("summary gives a ratio with the load tool's CPU in it:\n%s", out)
	}
	r.Server.InProcess = false
	// A run too short to measure after the joins: no ratio.
	r.Steady = false
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "server CPU / codec cost: not given: the run ended before all N were in") {
		t.Errorf("summary gives a ratio over the joins:\n%s", out)
	}
	r.Steady = true
	// The process listening on the port is not the server.
	r.Metrics.ProcessCPU = 6 * time.Second
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "WARNING: the server's own metrics count 6.0 s of CPU over the same window: pid 42 may not be the server") {
		t.Errorf("summary lacks the warning:\n%s", out)
	}
	// The server's CPU from its metrics: no ratio with this machine's cost.
	r.Server.Source = "metrics"
	b.Reset()
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "server CPU / codec cost: not given: the server's CPU comes from its metrics") {
		t.Errorf("summary gives a ratio across machines:\n%s", out)
	}
	// Nothing measured at all.
	b.Reset()
	(&Result{Config: cfg, CostErr: errTest, Metrics: MetricsReport{Err: errTest}, Server: ServerUsage{Err: errTest}}).WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "min -  median -") || !strings.Contains(out, "not measured (test error)") {
		t.Errorf("empty summary:\n%s", out)
	}
}

var errTest = testError{}

type testError struct{}

func (testError) Error() string { return "test error" }

// TestOpenFreeze: a stream whose last picture is older than a freeze when
// the run ends has one more freeze than the client counted (it counts a
// gap when the next picture ends it); a recent one has none.
func TestOpenFreeze(t *testing.T) {
	end := time.Unix(100, 0)
	for _, c := range []struct {
		ago  time.Duration
		want int
	}{{0, 0}, {client.FreezeGap, 0}, {client.FreezeGap + time.Millisecond, 1}, {time.Minute, 1}} {
		if got := openFreeze(end.Add(-c.ago), end, client.FreezeGap); got != c.want {
			t.Errorf("last picture %v before the end: %d, want %d", c.ago, got, c.want)
		}
	}
	// At 5 fps a picture comes every 200 ms: the freeze is three of them.
	if got := openFreeze(end.Add(-500*time.Millisecond), end, client.FreezeGapAt(5)); got != 0 {
		t.Errorf("at 5 fps, the last picture 500 ms before the end: %d freezes, want 0", got)
	}
}

// TestReportDue: a tick read right after a late one (the tool held up) is
// no progress line of its own; one half a second or more after the last is.
func TestReportDue(t *testing.T) {
	last := time.Unix(100, 0)
	for _, c := range []struct {
		after time.Duration
		want  bool
	}{{time.Second, true}, {1900 * time.Millisecond, true}, {600 * time.Millisecond, true}, {200 * time.Microsecond, false}, {0, false}} {
		if got := reportDue(last, last.Add(c.after)); got != c.want {
			t.Errorf("a tick %v after the last line: due %v, want %v", c.after, got, c.want)
		}
	}
}

// RoomMixer.sub takes each counter's growth since the earlier read and keeps
// the bitrates and picture settings as they are now.
func TestRoomMixerSub(t *testing.T) {
	earlier := RoomMixer{Participants: 1, Frames: 100, Keyframes: 10, LateTicks: 5, Dropped: 2,
		Bitrate: 1_500_000, MaxBitrate: 1_500_000, Width: 640, Height: 360, FPS: 15, Voices: 2}
	now := RoomMixer{Participants: 2, Frames: 400, Keyframes: 13, LateTicks: 12, Dropped: 9,
		Bitrate: 900_000, MaxBitrate: 1_500_000, Width: 1280, Height: 720, FPS: 30, Voices: 4}
	want := RoomMixer{Frames: 300, Keyframes: 3, LateTicks: 7, Dropped: 7,
		Bitrate: 900_000, MaxBitrate: 1_500_000, Width: 1280, Height: 720, FPS: 30, Voices: 4}
	if got := now.sub(earlier); got != want {
		t.Errorf("sub = %+v, want %+v", got, want)
	}
	// Fewer frames than before: another room of that name, counted whole.
	if got := earlier.sub(now); got != earlier {
		t.Errorf("sub of a newer room = %+v, want %+v", got, earlier)
	}
}

// TestAudioEncodeCostCountsTheMixesVoices: the codec cost encodes the
// full mix and the mix-minus of each one whose sound is in the mixes:
// everyone who sends sound, or the server's -voices of them; someone
// without sound adds none.
func TestAudioEncodeCostCountsTheMixesVoices(t *testing.T) {
	var parts []*clipPackets
	for _, f := range []string{"p01.ogg", "p02.ogg", "p03.ogg"} {
		pkts, _, err := readPackets(mediatest.TestdataPath(t, f), codec.Audio, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, &clipPackets{audio: pkts})
	}
	parts = append(parts, &clipPackets{}) // video only
	for voices, want := range map[int]int{0: 4, 2: 3, 3: 4, 9: 4, 1: 2} {
		cost, streams, err := audioEncodeCost(parts, codec.DefaultOpusConfig(), voices, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if streams != want || cost <= 0 {
			t.Errorf("voices %d: %d streams encoded in %v, want %d", voices, streams, cost, want)
		}
	}
}
