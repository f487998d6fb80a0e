package loadtest

import (
	"math"
	"strings"
	"testing"
	"time"
)

// exposition is a trimmed /metrics answer of mcu (client_golang's format).
const exposition = `# HELP mcu_mixer_tick_seconds Time a video tick takes to bring the canvas up to date.
# TYPE mcu_mixer_tick_seconds histogram
mcu_mixer_tick_seconds_bucket{le="0.001"} 10
mcu_mixer_tick_seconds_bucket{le="0.002"} 60
mcu_mixer_tick_seconds_bucket{le="0.004"} 90
mcu_mixer_tick_seconds_bucket{le="0.008"} 100
mcu_mixer_tick_seconds_bucket{le="+Inf"} 100
mcu_mixer_tick_seconds_sum 0.25
mcu_mixer_tick_seconds_count 100
# TYPE mcu_keyframes_total counter
mcu_keyframes_total{reason="forced"} 7
mcu_keyframes_total{reason="periodic"} 3
mcu_late_ticks_total 4
weird_total{path="a\"b\\c\nd",x="1"} 2.5e+01 1700000000000
process_cpu_seconds_total 12.5
mcu_cpu_seconds_total{stage="video_decode"} 1.5
mcu_cpu_seconds_total{stage="video_encode"} 3
`

func TestParseMetrics(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Samples) != 14 {
		t.Fatalf("%d samples, want 14", len(s.Samples))
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mcu_keyframes_total", []string{"reason", "forced"}, 7},
		{"mcu_keyframes_total", []string{"reason", "periodic"}, 3},
		{"mcu_late_ticks_total", nil, 4},
		{"weird_total", []string{"path", "a\"b\\c\nd"}, 25},
		{"process_cpu_seconds_total", nil, 12.5},
	} {
		if v, ok := s.Value(tc.name, tc.labels...); !ok || v != tc.want {
			t.Errorf("%s%v = %v, %v; want %v", tc.name, tc.labels, v, ok, tc.want)
		}
	}
	if got := s.Sum("mcu_keyframes_total"); got != 10 {
		t.Errorf("sum of keyframes = %v, want 10", got)
	}
	if _, ok := s.Value("mcu_keyframes_total", "reason", "other"); ok {
		t.Error("found a series with an absent label value")
	}
	h, ok := s.Histogram("mcu_mixer_tick_seconds")
	if !ok || len(h.Bounds) != 5 || h.Count != 100 || h.Sum != 0.25 || !math.IsInf(h.Bounds[4], 1) {
		t.Fatalf("histogram = %+v, %v", h, ok)
	}
	if _, ok := s.Histogram("mcu_encode_seconds"); ok {
		t.Error("found an absent histogram")
	}
}

func TestParseMetricsErrors(t *testing.T) {
	for _, text := range []string{
		"novalue\n",
		`a{le="1} 2` + "\n",
		`a{le=1} 2` + "\n",
		"a 1 2 3\n",
		"a notanumber\n",
	} {
		if _, err := ParseMetrics(strings.NewReader(text)); err == nil {
			t.Errorf("%q parsed", text)
		}
	}
}

// hist makes a histogram from upper bounds (without +Inf) and the number
// of observations in each bucket, the last count being the +Inf bucket.
func hist(bounds []float64, counts ...float64) Histogram {
	h := Histogram{Bounds: append(append([]float64(nil), bounds...), math.Inf(1))}
	var c float64
	for _, n := range counts {
		c += n
		h.Cumulative = append(h.Cumulative, c)
	}
	h.Count = c
	return h
}

func TestQuantile(t *testing.T) {
	bounds := []float64{1, 2, 4, 8}
	for _, tc := range []struct {
		name string
		h    Histogram
		q    float64
		want float64
	}{
		// 100 observations: 10 in (0,1], 50 in (1,2], 30 in (2,4], 10 in (4,8].
		{"median inside the second bucket", hist(bounds, 10, 50, 30, 10, 0), 0.5, 1 + 40.0/50},
		{"p90 at the top of the third bucket", hist(bounds, 10, 50, 30, 10, 0), 0.9, 4},
		{"p99 inside the last finite bucket", hist(bounds, 10, 50, 30, 10, 0), 0.99, 4 + 4*9.0/10},
		{"first bucket starts at zero", hist(bounds, 10, 0, 0, 0, 0), 0.5, 0.5},
		{"rank in +Inf gives the highest finite bound", hist(bounds, 1, 0, 0, 0, 9), 0.9, 8},
		{"q=1 is the top of the last used bucket", hist(bounds, 5, 5, 0, 0, 0), 1, 2},
		{"empty histogram", hist(bounds, 0, 0, 0, 0, 0), 0.5, math.NaN()},
		{"no buckets", Histogram{}, 0.5, math.NaN()},
	} {
		got := tc.h.Quantile(tc.q)
		if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-9) {
			t.Errorf("%s: Quantile(%v) = %v, want %v", tc.name, tc.q, got, tc.want)
		}
	}
}

func TestMaxBucketAndMean(t *testing.T) {
	bounds := []float64{1, 2, 4}
	if got := hist(bounds, 3, 1, 0, 0).MaxBucket(); got != 2 {
		t.Errorf("MaxBucket = %v, want 2", got)
	}
	if got := hist(bounds, 3, 0, 0, 1).MaxBucket(); !math.IsInf(got, 1) {
		t.Errorf("MaxBucket = %v, want +Inf", got)
	}
	if got := hist(bounds, 0, 0, 0, 0).MaxBucket(); !math.IsNaN(got) {
		t.Errorf("MaxBucket of nothing = %v, want NaN", got)
	}
	h := hist(bounds, 1, 1, 0, 0)
	h.Sum = 3
	if h.Mean() != 1.5 {
		t.Errorf("Mean = %v", h.Mean())
	}
}

func TestHistogramSub(t *testing.T) {
	bounds := []float64{1, 2}
	start := hist(bounds, 10, 5, 0)
	start.Sum = 12
	end := hist(bounds, 12, 25, 3)
	end.Sum = 70
	d := end.Sub(start)
	want := hist(bounds, 2, 20, 3)
	if d.Count != want.Count || d.Sum != 58 {
		t.Fatalf("delta count %v sum %v, want %v and 58", d.Count, d.Sum, want.Count)
	}
	for i := range want.Cumulative {
		if d.Cumulative[i] != want.Cumulative[i] {
			t.Fatalf("delta buckets %v, want %v", d.Cumulative, want.Cumulative)
		}
	}
	// A server restarted between the scrapes: take the end as it is.
	if r := start.Sub(end); r.Count != start.Count {
		t.Errorf("restarted: count %v, want %v", r.Count, start.Count)
	}
	// Other buckets: likewise.
	if r := end.Sub(hist([]float64{1}, 1, 1)); r.Count != end.Count {
		t.Errorf("other layout: count %v, want %v", r.Count, end.Count)
	}
}

func TestMetricsDelta(t *testing.T) {
	// The keyframe requests, sent and received, each with its own counts.
	const pli = "mcu_pli_sent_total 5\nmcu_pli_received_total 20\n"
	start, err := ParseMetrics(strings.NewReader(exposition + pli))
	if err != nil {
		t.Fatal(err)
	}
	end, err := ParseMetrics(strings.NewReader(strings.NewReplacer(
		"pli_sent_total 5", "pli_sent_total 8",
		"pli_received_total 20", "pli_received_total 31",
		`le="0.001"} 10`, `le="0.001"} 30`,
		`le="0.002"} 60`, `le="0.002"} 80`,
		`le="0.004"} 90`, `le="0.004"} 110`,
		`le="0.008"} 100`, `le="0.008"} 120`,
		`le="+Inf"} 100`, `le="+Inf"} 121`,
		"tick_seconds_count 100", "tick_seconds_count 121",
		`"forced"} 7`, `"forced"} 9`,
		"late_ticks_total 4", "late_ticks_total 10",
		"process_cpu_seconds_total 12.5", "process_cpu_seconds_total 20",
		`"video_decode"} 1.5`, `"video_decode"} 2.75`,
		`"video_encode"} 3`, `"video_encode"} 5.5`,
	).Replace(exposition + pli)))
	if err != nil {
		t.Fatal(err)
	}
	d := metricsDelta(start, end)
	if d.Tick.Count != 21 || d.Tick.Cumulative[0] != 20 || d.LateTicks != 6 || d.KeyframesForced != 2 ||
		d.KeyframesPeriodic != 0 || d.ProcessCPU.Seconds() != 7.5 {
		t.Errorf("delta = %+v", d)
	}
	if d.PLISent != 3 || d.PLIReceived != 11 {
		t.Errorf("keyframe requests: %v sent, %v received; want 3 and 11", d.PLISent, d.PLIReceived)
	}
	if d.Encode.Count != 0 {
		t.Errorf("absent histogram has %v observations", d.Encode.Count)
	}
	// The stages the server exports, and only those.
	if len(d.StageCPU) != 2 || d.StageCPU["video_decode"] != 1250*time.Millisecond ||
		d.StageCPU["video_encode"] != 2500*time.Millisecond || d.StagesCPU() != 3750*time.Millisecond {
		t.Errorf("stage CPU = %v", d.StageCPU)
	}
}

func TestPercentilesFormat(t *testing.T) {
	h := hist([]float64{0.001, 0.002}, 90, 5, 5) // 5% above every bound
	h.Sum = 1
	got := percentiles(h)
	want := "p50 0.56ms  p90 1.00ms  p99 >2.00ms  max >2.00ms  (n 100, mean 10.0ms)"
	if got != want {
		t.Errorf("percentiles = %q\nwant          %q", got, want)
	}
	if got := percentiles(hist([]float64{1}, 0, 0)); got != "no observations" {
		t.Errorf("empty: %q", got)
	}
	// A histogram of the +Inf bucket alone (another server's exposition):
	// nothing is known of its values but their mean.
	h = hist(nil, 4)
	h.Sum = 0.02
	if got, want := percentiles(h), "p50 -  p90 -  p99 -  max -  (n 4, mean 5.00ms)"; got != want {
		t.Errorf("+Inf bucket alone: %q, want %q", got, want)
	}
}
