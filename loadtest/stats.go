package loadtest

import (
	"math"
	"slices"
	"time"

	"mcu/codec"
)

// Spread is the minimum, median and maximum of some values.
type Spread struct {
	Min, Median, Max float64
	N                int
}

// spreadOf computes the Spread of xs (all NaN when xs is empty). xs is not
// modified.
func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{Min: math.NaN(), Median: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Spread{Min: s[0], Median: med, Max: s[n-1], N: n}
}

// receiverSample is one participant's counters at one instant.
type receiverSample struct {
	joined  bool
	frames  int
	freezes int
	bytes   int64 // RTP payload, video and audio
}

// Second is one line of progress: what the receivers got during one
// interval (about a second).
type Second struct {
	Elapsed        time.Duration // since the start of the run, at the end of the interval
	Joined, Wanted int
	// Receivers is how many participants the rates are over: those that
	// had already received a picture when the interval began (one that
	// is still waiting for its first picture is not a slow receiver yet).
	Receivers       int
	FPSMean, FPSMin float64
	BitrateMean     float64 // bit/s per receiver, video and audio payload
	Freezes         int     // so far, every receiver
	// CPU used during the interval, in cores (NaN when unknown): by the
	// server, by this load tool, and by every other process of the
	// machine (what competed with both).
	ServerCores, SelfCores, OtherCores float64
}

// secondOf computes an interval's line from the samples at its start and
// end (indexed by participant; prev may be shorter when participants
// joined since).
func secondOf(prev, cur []receiverSample, dt time.Duration) Second {
	nan := math.NaN()
	s := Second{Wanted: len(cur), FPSMin: nan, FPSMean: nan, BitrateMean: nan, ServerCores: nan, SelfCores: nan, OtherCores: nan}
	var fpsSum, bitSum float64
	for i, c := range cur {
		if !c.joined {
			continue
		}
		s.Joined++
		s.Freezes += c.freezes
		if i >= len(prev) || !prev[i].joined || prev[i].frames == 0 || dt <= 0 {
			continue
		}
		fps := float64(c.frames-prev[i].frames) / dt.Seconds()
		bits := float64(c.bytes-prev[i].bytes) * 8 / dt.Seconds()
		if s.Receivers == 0 || fps < s.FPSMin {
			s.FPSMin = fps
		}
		s.Receivers++
		fpsSum += fps
		bitSum += bits
	}
	if s.Receivers > 0 {
		s.FPSMean = fpsSum / float64(s.Receivers)
		s.BitrateMean = bitSum / float64(s.Receivers)
	}
	return s
}

// cpuSample is the CPU time used so far by the server, by this process and
// by the whole machine; a negative value is unknown.
type cpuSample struct{ server, self, machine time.Duration }

// cpuShares turns two samples dt apart into cores used by the server, this
// process and the other processes (when the server runs inside this
// process, its time is this process's).
func cpuShares(prev, cur cpuSample, dt time.Duration, inProcess bool) (server, self, other float64) {
	server, self, other = math.NaN(), math.NaN(), math.NaN()
	if dt <= 0 {
		return
	}
	cores := func(a, b time.Duration) float64 {
		if a < 0 || b < 0 {
			return math.NaN()
		}
		return (b - a).Seconds() / dt.Seconds()
	}
	server, self = cores(prev.server, cur.server), cores(prev.self, cur.self)
	other = cores(prev.machine, cur.machine) - self
	if !inProcess {
		other -= server
	}
	if !math.IsNaN(other) {
		other = max(other, 0) // the tick counts are coarser than getrusage
	}
	return server, self, other
}

// runFPS is a receiver's frame rate from its first picture to the end of
// the run: the first picture opens the count, so frames−1 intervals (the
// rate is 0 with fewer than two pictures).
func runFPS(frames int, first, end time.Time) float64 {
	d := end.Sub(first).Seconds()
	if frames < 2 || d <= 0 {
		return 0
	}
	return float64(frames-1) / d
}

// pictureCheck follows the decoded mix of one receiver, second by second:
// its size, and whether it changes.
type pictureCheck struct {
	Seconds   int // checks made
	Pictures  int // checks that found a decoded picture
	Changed   int // checks whose picture differed from the previous one
	WrongSize int // checks whose picture was not the expected size
	Width     int // of the last picture
	Height    int
	// WantWidth and WantHeight are the expected size: the canvas, or for
	// an H.264 receiver the size its level takes (costH264).
	WantWidth, WantHeight int

	last    *codec.Frame
	lastSum uint64
}

// observe checks the newest picture (nil if none yet).
func (c *pictureCheck) observe(pic *codec.Frame) {
	c.Seconds++
	if pic == nil {
		return
	}
	c.Pictures++
	c.Width, c.Height = pic.Width(), pic.Height()
	if c.Width != c.WantWidth || c.Height != c.WantHeight {
		c.WrongSize++
	}
	if pic == c.last {
		return // no new picture in a second: not a change
	}
	sum := lumaHash(pic)
	if c.last != nil && sum != c.lastSum {
		c.Changed++
	}
	c.last, c.lastSum = pic, sum
}

// OK says the mix had the right size every time and changed in at least
// half of the seconds after the first picture.
func (c *pictureCheck) OK() bool {
	return c.Pictures > 0 && c.WrongSize == 0 && 2*c.Changed >= c.Pictures-1
}

// lumaHash hashes every 8th pixel of every 8th row of the luma plane: cheap,
// and any visible change of the mix changes it.
func lumaHash(f *codec.Frame) uint64 {
	h := uint64(14695981039346656037)
	for y := 0; y < f.Height(); y += 8 {
		row := f.Y[y*f.YStride:]
		for x := 0; x < f.Width(); x += 8 {
			h = (h ^ uint64(row[x])) * 1099511628211
		}
	}
	return h
}

// MetricsDelta is what the server's /metrics counted between the scrapes
// at the start and the end of the run. The metrics are the whole server's:
// other rooms' activity is included.
type MetricsDelta struct {
	Tick, Encode, Latency Histogram
	LateTicks             float64
	KeyframesForced       float64
	KeyframesPeriodic     float64
	PLISent, PLIReceived  float64
	BytesIn, BytesOut     float64
	// ProcessCPU is the server's process_cpu_seconds_total difference and
	// ProcessRSS its process_resident_memory_bytes at the end (0 when the
	// server does not export them); used when /proc cannot be read.
	ProcessCPU time.Duration
	ProcessRSS float64
	// StageCPU is mcu_cpu_seconds_total by stage (video_decode, ...): the
	// CPU time of the media work, measured on the threads doing it.
	StageCPU map[string]time.Duration
	// Rooms, Sessions and Viewers are the most of mcu_rooms,
	// mcu_participants and mcu_viewers at the two scrapes: the whole
	// server's, whose CPU /proc measures (-1: not exported).
	Rooms, Sessions, Viewers float64
}

// stages are the stages of mcu_cpu_seconds_total, in the order printed.
var stages = []struct{ label, name string }{
	{"video_decode", "video decode+scale"}, {"audio_decode", "audio decode"}, {"compose", "compose"},
	{"video_encode", "video encode"}, {"audio_mix", "audio mix+encode"}, {"h264_encode", "H.264 encode"},
}

// StagesCPU is the sum of StageCPU.
func (d MetricsDelta) StagesCPU() time.Duration {
	var sum time.Duration
	for _, v := range d.StageCPU {
		sum += v
	}
	return sum
}

// Names of mcu's series.
const (
	metricTick      = "mcu_mixer_tick_seconds"
	metricEncode    = "mcu_encode_seconds"
	metricLatency   = "mcu_added_latency_seconds"
	metricLateTicks = "mcu_late_ticks_total"
	metricKeyframes = "mcu_keyframes_total"
)

// metricsDelta subtracts the start scrape from the end one.
func metricsDelta(start, end *Scrape) MetricsDelta {
	var d MetricsDelta
	hist := func(name string) Histogram {
		e, ok := end.Histogram(name)
		if !ok {
			return Histogram{}
		}
		if s, ok := start.Histogram(name); ok {
			return e.Sub(s)
		}
		return e
	}
	counter := func(name string, labels ...string) float64 {
		e, _ := end.Value(name, labels...)
		s, _ := start.Value(name, labels...)
		if s > e { // restarted
			return e
		}
		return e - s
	}
	d.Tick, d.Encode, d.Latency = hist(metricTick), hist(metricEncode), hist(metricLatency)
	d.LateTicks = counter(metricLateTicks)
	d.KeyframesForced = counter(metricKeyframes, "reason", "forced")
	d.KeyframesPeriodic = counter(metricKeyframes, "reason", "periodic")
	d.PLISent = counter("mcu_pli_sent_total")
	d.PLIReceived = counter("mcu_pli_received_total")
	d.BytesIn = counter("mcu_bytes_in_total")
	d.BytesOut = counter("mcu_bytes_out_total")
	d.ProcessCPU = time.Duration(counter("process_cpu_seconds_total") * float64(time.Second))
	d.ProcessRSS, _ = end.Value("process_resident_memory_bytes")
	gauge := func(name string) float64 {
		e, ok := end.Value(name)
		if !ok {
			return -1
		}
		s, _ := start.Value(name)
		return max(e, s)
	}
	d.Rooms, d.Sessions, d.Viewers = gauge("mcu_rooms"), gauge("mcu_participants"), gauge("mcu_viewers")
	for _, st := range stages {
		if _, ok := end.Value("mcu_cpu_seconds_total", "stage", st.label); ok {
			if d.StageCPU == nil {
				d.StageCPU = map[string]time.Duration{}
			}
			d.StageCPU[st.label] = time.Duration(counter("mcu_cpu_seconds_total", "stage", st.label) * float64(time.Second))
		}
	}
	return d
}
