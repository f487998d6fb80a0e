package loadtest

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
)

// TestSummaryBitrateInBits: the summary's bitrate per receiver is the
// payload's bits over the receivers' time in the run: 1 MiB received in
// 8 s is 1049 kbit/s, not the bytes' 131.
func TestSummaryBitrateInBits(t *testing.T) {
	r := goodRun()
	r.Participants[0].Bytes, r.Participants[0].Active = 1<<20, 4*time.Second
	r.Participants[1].Bytes, r.Participants[1].Active = 0, 4*time.Second
	var b bytes.Buffer
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "1049 kbit/s per receiver") {
		t.Errorf("summary lacks the bitrate of 1 MiB in 8 s of receivers:\n%s", out)
	}
}

// TestSummaryReceiverWithoutAPicture: a participant that joined but never
// got a picture has no join time (it is counted apart, not as a join of
// 0 s that would pass for the fastest), and its frame rate of 0 is the
// run's minimum (not left out, which would hide it).
func TestSummaryReceiverWithoutAPicture(t *testing.T) {
	r := goodRun()
	r.Participants[0].FirstFrame = 400 * time.Millisecond
	r.Participants[1].Frames, r.Participants[1].FPS, r.Participants[1].FirstFrame = 0, 0, 0
	var b bytes.Buffer
	r.WriteSummary(&b)
	out := b.String()
	for _, want := range []string{
		"join to first mixed frame: min 400ms  median 400ms  max 400ms  (1 never got a picture)",
		"receiver fps over the run: min 0.0  median 14.8",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestCPUSharesUnknownAtTheStart: a CPU time that could not be read at the
// interval's start (/proc failed once) leaves the interval's cores
// unknown: the time read at its end is the process's whole life, not a
// second's. And the other processes' share is never below zero (the
// machine's ticks are coarser than getrusage).
func TestCPUSharesUnknownAtTheStart(t *testing.T) {
	prev := cpuSample{server: -1, self: 5 * time.Second, machine: -1}
	cur := cpuSample{server: time.Hour, self: 5500 * time.Millisecond, machine: 2 * time.Hour}
	server, self, other := cpuShares(prev, cur, time.Second, false)
	if !math.IsNaN(server) || !near(self, 0.5) || !math.IsNaN(other) {
		t.Errorf("server and machine unknown at the start: %v %v %v, want NaN 0.5 NaN", server, self, other)
	}
	prev = cpuSample{server: 10 * time.Second, self: 5 * time.Second, machine: 100 * time.Second}
	cur = cpuSample{server: 11 * time.Second, self: 5500 * time.Millisecond, machine: 101490 * time.Millisecond}
	if _, _, other := cpuShares(prev, cur, time.Second, false); other != 0 {
		t.Errorf("machine ticks short of server+load by 10 ms: other %v, want 0", other)
	}
}

// TestPictureCheckSizeAndHalf: a picture of the wrong height alone is of
// the wrong size; a mix that changed in exactly half of the seconds after
// its first picture passes.
func TestPictureCheckSizeAndHalf(t *testing.T) {
	c := pictureCheck{WantWidth: 64, WantHeight: 32}
	c.observe(codecFrame(64, 16, 0))
	if c.WrongSize != 1 || c.OK() {
		t.Errorf("a picture of the wrong height passed: %+v", c)
	}
	half := pictureCheck{WantWidth: 64, WantHeight: 32}
	for _, v := range []byte{1, 2, 2, 3, 3} { // 5 pictures, changed in 2 of the 4 seconds after the first
		half.observe(codecFrame(64, 32, v))
	}
	if half.Changed != 2 || !half.OK() {
		t.Errorf("a mix that changed in half the seconds failed: %+v, OK %v", half, half.OK())
	}
}

// TestMetricsDeltaRestartAndMemory: a counter lower at the end than at the
// start (the server restarted) counts from zero, so the end's value; the
// resident memory is the end's.
func TestMetricsDeltaRestartAndMemory(t *testing.T) {
	start, err := ParseMetrics(strings.NewReader("mcu_late_ticks_total 40\nprocess_resident_memory_bytes 1e8\n"))
	if err != nil {
		t.Fatal(err)
	}
	end, err := ParseMetrics(strings.NewReader("mcu_late_ticks_total 6\nprocess_resident_memory_bytes 3e8\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := metricsDelta(start, end); d.LateTicks != 6 || d.ProcessRSS != 3e8 {
		t.Errorf("late ticks %v, RSS %v; want 6 (since the restart) and 3e8 (at the end)", d.LateTicks, d.ProcessRSS)
	}
	// The rooms and sessions are the most seen at either scrape: a room
	// that closed during the window still shared the server's CPU.
	start, _ = ParseMetrics(strings.NewReader("mcu_rooms 2\nmcu_participants 5\n"))
	end, _ = ParseMetrics(strings.NewReader("mcu_rooms 1\nmcu_participants 3\n"))
	if d := metricsDelta(start, end); d.Rooms != 2 || d.Sessions != 5 || d.Viewers != -1 {
		t.Errorf("rooms %v, sessions %v, viewers %v; want 2, 5 and -1 (not exported)", d.Rooms, d.Sessions, d.Viewers)
	}
}

// TestProcDisagreesBounds: /proc and the server's metrics are taken to
// disagree beyond a tenth of the metrics' CPU, or 50 ms when that is
// less; not at all when the metrics counted no CPU (not exported, or
// left out when the window's scrape failed).
func TestProcDisagreesBounds(t *testing.T) {
	for _, c := range []struct {
		proc, metrics time.Duration
		want          bool
	}{
		{10 * time.Second, 10 * time.Second, false},
		{10900 * time.Millisecond, 10 * time.Second, false},
		{11100 * time.Millisecond, 10 * time.Second, true},
		{13 * time.Second, 10 * time.Second, true},
		{7 * time.Second, 10 * time.Second, true},
		{140 * time.Millisecond, 100 * time.Millisecond, false}, // within the ticks' 50 ms
		{5 * time.Second, 0, false},
	} {
		r := goodRun()
		r.Server.CPU, r.Metrics.ProcessCPU = c.proc, c.metrics
		if got := r.procDisagrees(); got != c.want {
			t.Errorf("/proc %v, metrics %v: disagree %v, want %v", c.proc, c.metrics, got, c.want)
		}
	}
}

// TestNoRatioAtTheEdges: a mix a little under its bitrate, or a single
// keyframe asked for, is already other work than the codec cost's.
func TestNoRatioAtTheEdges(t *testing.T) {
	for _, c := range []struct {
		name, why string
		set       func(*Result)
	}{
		{"mix 1 kbit/s under", "the mix ran at", func(r *Result) { r.Room.Bitrate = r.Room.MaxBitrate - 1000 }},
		{"one keyframe asked for", "the server asked participants for 1 keyframes", func(r *Result) { r.Metrics.PLISent = 1 }},
	} {
		r := goodRun()
		c.set(r)
		if !math.IsNaN(r.Ratio()) || !strings.Contains(r.noRatio(), c.why) {
			t.Errorf("%s: ratio %v, reason %q", c.name, r.Ratio(), r.noRatio())
		}
	}
}

// codecFrame is a w×h picture whose first luma sample is v (the picture
// hash samples it).
func codecFrame(w, h int, v byte) *codec.Frame {
	f := codec.NewFrame(w, h)
	f.Y[0] = v
	return f
}

// TestCodecCostCountsTheH264Encode: with H.264 receivers the codec cost's
// total holds the H.264 encode of the composite too, and the mean of the
// measurements before and after the run averages it as the rest.
func TestCodecCostCountsTheH264Encode(t *testing.T) {
	c := CodecCost{DecodeVideo: []time.Duration{10 * time.Millisecond}, DecodeAudio: []time.Duration{time.Millisecond},
		EncodeVideo: 300 * time.Millisecond, EncodeH264: 150 * time.Millisecond, EncodeAudio: 20 * time.Millisecond, AudioStreams: 2}
	if c.Total() != 481*time.Millisecond {
		t.Errorf("total %v, want 481ms (the H.264 encode's 150 ms included)", c.Total())
	}
	// Measured before and after the run: the mean of both, H.264 too.
	d := c
	d.EncodeH264 = 250 * time.Millisecond
	if m := c.Mean(d); m.EncodeH264 != 200*time.Millisecond {
		t.Errorf("mean H.264 encode of 150 and 250 ms: %v, want 200ms", m.EncodeH264)
	}
}

// TestSummaryRatesOverTheWindow: the room's counters cover the window, so
// its mixer's frame rate is its frames over the window, not over the
// whole run.
func TestSummaryRatesOverTheWindow(t *testing.T) {
	r := goodRun() // 300 frames in a window of 10 s, a run of 14 s
	var b bytes.Buffer
	r.WriteSummary(&b)
	if out := b.String(); !strings.Contains(out, "mixer 300 frames (30.0 fps)") {
		t.Errorf("summary lacks the mixer's 30 fps over the window:\n%s", out)
	}
}

// TestSummaryOtherProcesses: the machine's CPU used by other processes is
// what the load tool and, when /proc measured it here, the server did not
// use; a server measured from its metrics may be on another machine, and
// is not taken off. Never below zero.
func TestSummaryOtherProcesses(t *testing.T) {
	for _, c := range []struct {
		name    string
		source  string
		machine time.Duration
		want    string
	}{
		{"server in /proc", "/proc", 20 * time.Second, "2.00 of 4 cores busy, 0.90 of them other processes"},
		{"server from its metrics", "metrics", 20 * time.Second, "2.00 of 4 cores busy, 1.50 of them other processes"},
		{"ticks short of what was measured", "/proc", 10 * time.Second, "1.00 of 4 cores busy, 0.00 of them other processes"},
	} {
		r := goodRun() // the server 6 s of CPU in a window of 10 s
		r.Server.Source, r.SelfCPU, r.MachineCPU, r.MachineCPUs = c.source, 5*time.Second, c.machine, 4
		var b bytes.Buffer
		r.WriteSummary(&b)
		if out := b.String(); !strings.Contains(out, "machine: "+c.want) {
			t.Errorf("%s: summary lacks %q:\n%s", c.name, c.want, out)
		}
	}
}

// TestRoomMixerSubWindowCounters: the encoder's speed changes and the
// H.264 counters are the window's too (speed changes during the joins do
// not count against the ratio); a room recorded at the window's start and
// no longer at its end was still recorded in the window (the codec cost
// does not count that), as was one whose layout changed.
func TestRoomMixerSubWindowCounters(t *testing.T) {
	earlier := RoomMixer{Frames: 100, SpeedChanges: 2, H264Frames: 90, H264Dropped: 4, Recording: true, Layout: "grid"}
	now := RoomMixer{Frames: 400, SpeedChanges: 2, H264Frames: 390, H264Dropped: 5, Layout: "speaker"}
	got := now.sub(earlier)
	if got.SpeedChanges != 0 || got.H264Frames != 300 || got.H264Dropped != 1 || !got.Recording || got.Layout != "changed" {
		t.Errorf("sub = %+v, want no speed change, 300 H.264 pictures and 1 dropped, recorded, the layout changed", got)
	}
}

// TestMoreH264ReceiversThanParticipants: -h264 cannot exceed N.
func TestMoreH264ReceiversThanParticipants(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N, cfg.Clips = "http://127.0.0.1:1", "r", 3, []Clip{{Video: "v.ivf"}}
	cfg.H264 = 3
	if err := cfg.Validate(); err != nil {
		t.Fatalf("3 H.264 receivers of 3: %v", err)
	}
	cfg.H264 = 4
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "H.264") {
		t.Errorf("4 H.264 receivers of 3: %v, want refused", err)
	}
}

// TestResultCountsTheOpenFreeze: a receiver whose pictures stopped 3 s
// before the run's end (its stream died) has a freeze more than its
// client counted, which counts a gap only when a picture ends it; one
// whose last picture just came has none more.
func TestResultCountsTheOpenFreeze(t *testing.T) {
	end := time.Unix(1000, 0)
	p := &participant{name: "load-01", c: &client.Client{}, joined: end.Add(-10 * time.Second)}
	st := client.Stats{Frames: 101, Freezes: 2, First: end.Add(-10 * time.Second), LastFrame: end.Add(-3 * time.Second)}
	r := p.result(st, end, client.FreezeGap)
	if !r.Joined || r.Freezes != 3 || r.FPS != 10 || r.Active != 10*time.Second {
		t.Errorf("pictures stopped 3 s before the end: %+v; want 3 freezes, 10 fps, 10 s active", r)
	}
	st.LastFrame = end.Add(-10 * time.Millisecond)
	if r := p.result(st, end, client.FreezeGap); r.Freezes != 2 {
		t.Errorf("pictures until the end: %d freezes, want the client's 2", r.Freezes)
	}
}
