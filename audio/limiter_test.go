package audio

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Tolerances of the limiter tests, each with its reason.
const (
	// maxGainBand bounds max/min of out/in over one frame of a steady loud
	// signal: the hold keeps the gain constant (the measured band is
	// 1.0007, from rounding), whereas hard clipping of the gentlest case
	// here already spreads it over 1/0.94 ≈ 1.06.
	maxGainBand = 1.01
	// ratioFloor is the smallest |out| used to measure out/in, so rounding
	// (±0.5) distorts the ratio by at most 0.05%.
	ratioFloor = 1000
	// maxFlatRun is the longest run of samples at ±ceiling allowed; hard
	// clipping of these signals gives runs of tens of samples.
	maxFlatRun = 2
	// releaseFrames bounds the recovery to unity gain: the hold, then 5
	// Release times cover a 30 dB reduction (4.8 Release, see
	// LimiterConfig.Release).
	releaseFrames = int((defaultLimiterHold + 5*defaultRelease) / FrameDuration)
)

// loudCases are steady signals well above the ceiling; they also seed
// FuzzLimiter.
var loudCases = []struct {
	name   string
	frame  func(n int) []int32 // frame number n of the signal
	frames int
	flat   bool // the input itself is flat-topped
}{
	{
		name: "two sines at 1.1 FS each, 300 and 450 Hz",
		frame: func(n int) []int32 {
			f := toneFrame(n, 1.1*fullScale, 300, 0.7)
			tone(f, 1.1*fullScale, 450, 0.7, n*FrameSamples)
			return f
		},
		frames: 25,
	},
	{
		name:   "25 full-scale participants in phase, 1 kHz",
		frame:  func(n int) []int32 { return toneFrame(n, 25*fullScale, 1000, 1) },
		frames: 10,
	},
	{
		name:   "loud left, quiet right, 100 Hz",
		frame:  func(n int) []int32 { return toneFrame(n, 3*fullScale, 100, 0.1) },
		frames: 25,
	},
	{
		name:   "just over the ceiling, 440 Hz",
		frame:  func(n int) []int32 { return toneFrame(n, 0.95*fullScale, 440, -1) },
		frames: 25,
	},
	{
		name: "full-scale square wave, 1 kHz",
		frame: func(n int) []int32 {
			f := make([]int32, FrameLen)
			for i := range FrameSamples {
				v := int32(fullScale)
				if (n*FrameSamples+i)/24%2 == 1 {
					v = -fullScale
				}
				f[2*i], f[2*i+1] = v, v
			}
			return f
		},
		frames: 10,
		flat:   true,
	},
}

func TestLimiterLoudSignals(t *testing.T) {
	for _, tt := range loudCases {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(DefaultLimiterConfig())
			c := l.Ceiling()
			out := make([]int16, FrameLen)
			delayed := newDelayLine(l)
			for n := range tt.frames {
				in0 := tt.frame(n)
				l.Process(out, in0)
				in := delayed.next(in0)
				if p := peak16(out); p > int(c) {
					t.Fatalf("frame %d: peak %d above ceiling %d", n, p, c)
				}
				if n == 0 {
					continue // the first peaks arrive unannounced
				}
				lo, hi := math.Inf(1), math.Inf(-1)
				for i, v := range out {
					if math.Abs(float64(v)) < ratioFloor {
						continue
					}
					r := float64(v) / float64(in[i])
					lo, hi = min(lo, r), max(hi, r)
				}
				if hi/lo > maxGainBand {
					t.Errorf("frame %d: out/in spans %.4f..%.4f, not a smooth gain", n, lo, hi)
				}
				if run := longestRunAt(out, c); !tt.flat && run > maxFlatRun {
					t.Errorf("frame %d: %d samples in a row at ±%d: clipped", n, run, c)
				}
				if p := peak16(out); p < int(c)*95/100 {
					t.Errorf("frame %d: peak %d, want near the ceiling %d", n, p, c)
				}
			}
			if l.Clamped() != 0 {
				t.Errorf("safety clamp hit %d times", l.Clamped())
			}
		})
	}
}

func TestLimiterPassThrough(t *testing.T) {
	c := int32(NewLimiter(LimiterConfig{}).Ceiling())
	// About −1 dBFS: room for a lossy encoder's overshoot, and loud voices
	// below it left alone.
	if db := 20 * math.Log10(float64(c)/32767); db < -1.1 || db > -0.9 {
		t.Errorf("default ceiling %d = %.2f dBFS, want about −1", c, db)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]int32, FrameLen)
	for i := range random {
		random[i] = rng.Int32N(2*c+1) - c
	}
	edges := make([]int32, FrameLen)
	for i := range edges {
		edges[i] = []int32{c, -c, 0, 1, -1, c - 1}[i%6]
	}
	tests := []struct {
		name string
		in   []int32
	}{
		{"silence", make([]int32, FrameLen)},
		{"random within the ceiling", random},
		{"exactly at the ceiling", edges},
		{"short block", []int32{c, -c, 5, -5}},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(DefaultLimiterConfig())
			out := make([]int16, len(tt.in))
			delayed := newDelayLine(l)
			for range 3 {
				l.Process(out, tt.in)
				want := delayed.next(tt.in)
				for i, v := range out {
					if int32(v) != want[i] {
						t.Fatalf("sample %d = %d, want %d (the input, %d pairs late)", i, v, want[i], l.Delay())
					}
				}
			}
			if l.Gain() != 1 {
				t.Fatalf("gain %v, want 1", l.Gain())
			}
		})
	}
}

func TestLimiterRelease(t *testing.T) {
	tests := []struct {
		name string
		loud float64 // peak of the loud part, in full scales
		// The gain comes back no sooner than this: a quicker release
		// pumps, the level audibly rising between syllables.
		notBefore int // frames
	}{
		{"1 dB over", 1.0, 0},
		{"10 dB over", 3.2, 15},
		{"30 dB over", 25, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(DefaultLimiterConfig())
			out := make([]int16, FrameLen)
			delayed := newDelayLine(l)
			n := 0
			for ; n < 10; n++ {
				in := toneFrame(n, tt.loud*fullScale, 500, 1)
				l.Process(out, in)
				delayed.next(in)
			}
			if l.Gain() >= 1 {
				t.Fatalf("gain %v after the loud part, want < 1", l.Gain())
			}
			quiet := 0.3 * fullScale
			recovered := -1
			for k := range releaseFrames + 5 {
				in0 := toneFrame(n+k, quiet, 500, 1)
				prev := l.Gain()
				l.Process(out, in0)
				in := delayed.next(in0)
				if l.Gain() < prev {
					t.Fatalf("quiet frame %d: gain fell %v → %v", k, prev, l.Gain())
				}
				if recovered >= 0 {
					for i, v := range out {
						if int32(v) != in[i] {
							t.Fatalf("quiet frame %d after recovery: sample %d = %d, want %d", k, i, v, in[i])
						}
					}
				} else if l.Gain() == 1 {
					recovered = k
				}
			}
			if recovered < 0 || recovered > releaseFrames {
				t.Fatalf("gain back to 1 after %d frames, want ≤ %d", recovered, releaseFrames)
			}
			if recovered < tt.notBefore {
				t.Fatalf("gain back to 1 after %d frames, want ≥ %d", recovered, tt.notBefore)
			}
		})
	}
}

func TestLimiterSpike(t *testing.T) {
	tests := []struct {
		name  string
		pair  int   // position of the spike in the frame
		value int32 // its value on both channels
	}{
		{"mid-frame", 500, 10 * fullScale},
		{"first pair", 0, -10 * fullScale},
		{"last pair", FrameSamples - 1, math.MaxInt32},
		{"most negative int32", 300, math.MinInt32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(DefaultLimiterConfig())
			attack := int(defaultAttack.Seconds() * SampleRate)
			in := make([]int32, FrameLen)
			in[2*tt.pair], in[2*tt.pair+1] = tt.value, tt.value
			// The spike's frame, then silence: the output and the gains of
			// both, the spike Delay pairs late.
			var out []int16
			var g []float64
			for _, frame := range [][]int32{in, make([]int32, FrameLen)} {
				o := make([]int16, FrameLen)
				l.Process(o, frame)
				out = append(out, o...)
				g = append(g, l.gains[:FrameSamples]...)
			}
			pair := tt.pair + l.Delay()
			c := l.Ceiling()
			if got := out[2*pair]; got != c && got != -c {
				t.Errorf("spike → %d, want ±%d", got, c)
			}
			// A spike even at a frame's first pair is approached by the
			// whole ramp.
			for i := max(1, pair-attack); i <= pair; i++ {
				if g[i] > g[i-1] {
					t.Errorf("gain rises before the spike at pair %d", i)
				}
				if step := g[i-1] - g[i]; step > 1.0/float64(attack)+1e-12 {
					t.Errorf("gain falls by %v at pair %d, faster than the attack allows", step, i)
				}
			}
			if start := pair - attack - 1; start >= 0 && g[start] != 1 {
				t.Errorf("gain %v before the attack ramp, want 1", g[start])
			}
			if g[pair-attack+1] >= 1 {
				t.Errorf("the gain starts falling less than the attack (%d pairs) before the spike", attack)
			}
			hold := int(defaultLimiterHold.Seconds() * SampleRate)
			for i := pair + 1; i < len(g); i++ {
				if g[i] < g[i-1] {
					t.Fatalf("gain falls after the spike at pair %d", i)
				}
				if i <= pair+hold && g[i] != g[pair] {
					t.Fatalf("gain moves during the hold, at pair %d", i)
				}
			}
			if l.Clamped() != 0 {
				t.Errorf("safety clamp hit %d times", l.Clamped())
			}
		})
	}
}

// TestLimiterGainIsSmooth checks that the gain never falls faster than the
// attack ramp nor rises faster than the release allows: no clicks, also
// for a peak at a frame's first pairs. Only the very first pair of a
// stream may fall at once (nothing to ramp from).
func TestLimiterGainIsSmooth(t *testing.T) {
	type signal = struct {
		name   string
		frame  func(n int) []int32
		frames int
	}
	tests := []signal{
		{
			name: "loud tone starting mid-frame",
			frame: func(n int) []int32 {
				f := toneFrame(n, 4*fullScale, 700, 1)
				if n == 0 {
					clear(f[:FrameLen/2])
				}
				return f
			},
			frames: 10,
		},
		{
			name: "tremolo between 0.5 and 2 FS at 3 Hz",
			frame: func(n int) []int32 {
				f := make([]int32, FrameLen)
				for i := range FrameSamples {
					k := float64(n*FrameSamples + i)
					env := 1.25 * fullScale * (1 + 0.6*math.Sin(2*math.Pi*3*k/SampleRate))
					v := int32(math.Round(env * math.Sin(2*math.Pi*400*k/SampleRate)))
					f[2*i], f[2*i+1] = v, v
				}
				return f
			},
			frames: 100,
		},
	}
	tests = append(tests, signal{
		// Loud from a frame's first pairs on, after a frame just under
		// the ceiling: the reduction needed at once used to be a step.
		name: "loud from a frame's start, after one just under the ceiling",
		frame: func(n int) []int32 {
			if n == 0 {
				return toneFrame(n, 0.85*fullScale, 440, 1)
			}
			return toneFrame(n, 1.4*fullScale, 440, 1)
		},
		frames: 3,
	})
	for _, c := range loudCases {
		tests = append(tests, signal{c.name, c.frame, c.frames})
	}
	attack := defaultAttack.Seconds() * SampleRate
	c := -math.Expm1(-1 / (defaultRelease.Seconds() * SampleRate))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(DefaultLimiterConfig())
			out := make([]int16, FrameLen)
			delayed := newDelayLine(l)
			ones := slices.Repeat([]float64{1}, FrameSamples)
			prev := 1.0
			for n := range tt.frames {
				in := tt.frame(n)
				l.Process(out, in)
				gains := l.gains[:FrameSamples]
				if want := delayed.next(in); l.Gain() == 1 && slices.Equal(int16s(want), out) {
					gains = ones // a frame copied as it is (the gains are not computed)
				}
				for i, g := range gains {
					if d := prev - g; d > 1/attack+1e-12 && (n > 0 || i > 0) {
						t.Fatalf("frame %d pair %d: gain falls by %v, more than 1/attack", n, i, d)
					}
					if limit := math.Exp((releaseOvershoot - math.Log(prev)) * c); g/prev > limit+1e-12 {
						t.Fatalf("frame %d pair %d: gain rises ×%v, faster than the release", n, i, g/prev)
					}
					prev = g
				}
			}
		})
	}
}

func TestLimiterExtremeInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]int32, 3*FrameLen+2)
	for i := range random {
		random[i] = int32(rng.Uint32())
	}
	alternating := make([]int32, FrameLen)
	for i := range alternating {
		alternating[i] = math.MaxInt32
		if i%3 == 0 {
			alternating[i] = math.MinInt32
		}
	}
	tests := []struct {
		name string
		cfg  LimiterConfig
		in   []int32
	}{
		{"random int32, over 3 frames and a pair", DefaultLimiterConfig(), random},
		{"int32 extremes", DefaultLimiterConfig(), alternating},
		{"tiny threshold, shortest times", LimiterConfig{Threshold: 1.0 / fullScale, Attack: sampleDuration, Release: sampleDuration}, random},
		{"threshold 1", LimiterConfig{Threshold: 1}, alternating},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLimiter(tt.cfg)
			out := make([]int16, len(tt.in))
			for range 3 {
				l.Process(out, tt.in)
				if p := peak16(out); p > int(l.Ceiling()) {
					t.Fatalf("peak %d above ceiling %d", p, l.Ceiling())
				}
				if g := l.Gain(); !(g > 0 && g <= 1) {
					t.Fatalf("gain %v out of (0, 1]", g)
				}
			}
			// The peak holds by the gain, not by the final clamp.
			if n := l.Clamped(); n != 0 {
				t.Errorf("the safety clamp altered %d samples: the gain fell short", n)
			}
		})
	}
}

func TestLimiterReset(t *testing.T) {
	l := NewLimiter(DefaultLimiterConfig())
	out := make([]int16, FrameLen)
	l.Process(out, toneFrame(0, 5*fullScale, 440, 1))
	l.Reset()
	if l.Gain() != 1 {
		t.Fatalf("gain %v after Reset, want 1", l.Gain())
	}
	in := toneFrame(1, 0.5*fullScale, 440, 1)
	l.Process(out, in)
	want := newDelayLine(l).next(in) // silence, then the input: nothing of before
	for i, v := range out {
		if int32(v) != want[i] {
			t.Fatalf("sample %d = %d after Reset, want %d", i, v, want[i])
		}
	}
}

func TestLimiterDeterministic(t *testing.T) {
	a, b := NewLimiter(LimiterConfig{}), NewLimiter(LimiterConfig{})
	outA, outB := make([]int16, FrameLen), make([]int16, FrameLen)
	for n := range 20 {
		in := toneFrame(n, 2*fullScale, 330, 0.5)
		a.Process(outA, in)
		b.Process(outB, in)
		if !slices.Equal(outA, outB) {
			t.Fatalf("frame %d differs", n)
		}
	}
}

func TestLimiterNoAllocs(t *testing.T) {
	l := NewLimiter(DefaultLimiterConfig())
	loud := toneFrame(0, 3*fullScale, 440, 1)
	out := make([]int16, FrameLen)
	if n := testing.AllocsPerRun(20, func() { l.Process(out, loud) }); n != 0 {
		t.Fatalf("Process allocates %v times per frame", n)
	}
}

func TestLimiterConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  LimiterConfig
		ok   bool
	}{
		{"zero value means defaults", LimiterConfig{}, true},
		{"defaults", DefaultLimiterConfig(), true},
		{"threshold 1", LimiterConfig{Threshold: 1}, true},
		{"threshold above 1", LimiterConfig{Threshold: 1.01}, false},
		{"negative threshold", LimiterConfig{Threshold: -0.5}, false},
		{"NaN threshold", LimiterConfig{Threshold: math.NaN()}, false},
		{"threshold below one LSB", LimiterConfig{Threshold: 0.5 / fullScale}, false},
		{"attack one frame", LimiterConfig{Attack: FrameDuration}, true},
		{"attack longer than the lookahead", LimiterConfig{Attack: FrameDuration + time.Microsecond}, false},
		{"attack shorter than a sample", LimiterConfig{Attack: time.Microsecond}, false},
		{"negative release", LimiterConfig{Release: -time.Second}, false},
		{"long release", LimiterConfig{Release: 10 * time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

// TestLimiterReleasesAfterHold: after a lone spike the gain stays put for
// Hold, 10 ms (480 sample pairs), and starts rising on the next pair.
func TestLimiterReleasesAfterHold(t *testing.T) {
	const hold = 480 // 10 ms of sample pairs at 48 kHz
	l := NewLimiter(DefaultLimiterConfig())
	d := l.Delay()
	out := make([]int16, Channels)
	gains := make([]float64, d+hold+2) // gains[i]: the gain of output pair i
	for i := range gains {
		in := []int32{0, 0}
		if i == 0 {
			in = []int32{10 * fullScale, 10 * fullScale}
		}
		l.Process(out, in)
		gains[i] = l.Gain()
	}
	spike := gains[d] // the spike is put out Delay pairs late
	if spike >= 1 {
		t.Fatalf("gain %v at the spike, want < 1", spike)
	}
	if g := gains[d+hold]; g != spike {
		t.Errorf("gain %v at the hold's last pair, want %v as at the spike", g, spike)
	}
	if g := gains[d+hold+1]; g <= spike {
		t.Errorf("gain %v on the pair after the hold, want above %v (at the spike)", g, spike)
	}
}

// TestLimiterContinueFromMatches: a limiter that takes on another's state
// mid-reduction puts out the same samples as the original from then on,
// the original's delayed input (its history) included.
func TestLimiterContinueFromMatches(t *testing.T) {
	src := NewLimiter(DefaultLimiterConfig())
	out := make([]int16, FrameLen)
	for n := range 5 {
		src.Process(out, toneFrame(n, 2*fullScale, 440, 1))
	}
	dst := NewLimiter(DefaultLimiterConfig())
	dst.ContinueFrom(src)
	for n := 5; n < 8; n++ {
		in := toneFrame(n, 2*fullScale, 440, 1)
		want, got := make([]int16, FrameLen), make([]int16, FrameLen)
		src.Process(want, in)
		dst.Process(got, in)
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("frame %d, sample %d: %d after ContinueFrom, want %d as the original", n, j, got[j], want[j])
			}
		}
	}
}
