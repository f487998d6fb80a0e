package audio

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestLimiterLoneNegativePeak: a frame quiet but for one negative
// sample beyond the ceiling, in the part of the block put out at once
// (neither the history nor the last Delay pairs), at unity gain. The
// fast path must notice it on the negative side too: int16(x) of -40000
// wraps to +25536.
func TestLimiterLoneNegativePeak(t *testing.T) {
	for _, tc := range []struct {
		v    int32
		pair int
	}{{-40000, 400}, {-3 * fullScale, 400}, {math.MinInt32, 400}, {-40000, FrameSamples - 10}, {math.MinInt32, FrameSamples - 72}} {
		v, pair := tc.v, tc.pair
		l := NewLimiter(DefaultLimiterConfig())
		c := int(l.Ceiling())
		in := make([]int32, FrameLen)
		in[2*pair] = v // left channel only
		out := make([]int16, FrameLen)
		next := make([]int16, FrameLen)
		l.Process(out, in)
		l.Process(next, make([]int32, FrameLen))
		all := append(out, next...)
		if p := peak16(all); p > c {
			t.Errorf("input %d: output peak %d beyond the ceiling %d", v, p, c)
		}
		at := 2 * (pair + l.Delay())
		if all[at] != int16(-c) {
			t.Errorf("input %d: the peak came out as %d, want %d", v, all[at], -c)
		}
		if l.Clamped() != 0 {
			t.Errorf("input %d: clamp used %d times", v, l.Clamped())
		}
	}
}

// TestLimiterOneOverTheCeiling: a sample one LSB over the ceiling is
// reduced by the gain, not by the safety clamp.
func TestLimiterOneOverTheCeiling(t *testing.T) {
	l := NewLimiter(DefaultLimiterConfig())
	c := int32(l.Ceiling())
	in := make([]int32, FrameLen)
	in[1000], in[1001] = c+1, -(c + 1)
	out := make([]int16, FrameLen)
	l.Process(out, in)
	l.Process(out, make([]int32, FrameLen))
	if l.Clamped() != 0 {
		t.Errorf("ceiling+1 handled by the clamp (%d samples), not the gain", l.Clamped())
	}
}

// TestLimiterDefaultDelay: 1.5 ms of lookahead, 72 pairs, as documented.
func TestLimiterDefaultDelay(t *testing.T) {
	if d := NewLimiter(LimiterConfig{}).Delay(); d != 72 {
		t.Errorf("Delay() = %d, want 72", d)
	}
	if d := NewLimiter(LimiterConfig{Attack: FrameDuration}).Delay(); d != FrameSamples {
		t.Errorf("Delay() with a frame's attack = %d, want %d", d, FrameSamples)
	}
}

// TestLimiterReleaseCurve: after the hold, the gain follows
// exp(lg_k), lg_k = ovs − (ovs − lg_0)·(1−r)^k, to 1e-9, pair by pair,
// and reaches exactly 1 with no step.
func TestLimiterReleaseCurve(t *testing.T) {
	l := NewLimiter(DefaultLimiterConfig())
	out := make([]int16, 2)
	l.Process(out, []int32{20 * fullScale, 20 * fullScale})
	for range l.Delay() + l.hold {
		l.Process(out, []int32{0, 0})
	}
	g0 := l.Gain()
	lg0 := math.Log(g0)
	prev := g0
	for k := 1; ; k++ {
		l.Process(out, []int32{0, 0})
		lg := releaseOvershoot - (releaseOvershoot-lg0)*math.Pow(1-l.release, float64(k))
		want := min(1, math.Exp(lg))
		g := l.Gain()
		if lg >= 0 {
			if g != 1 {
				t.Fatalf("pair %d: gain %v, want 1", k, g)
			}
			if prev < 0.999 {
				t.Fatalf("pair %d: gain jumps %v → 1", k, prev)
			}
			t.Logf("back at 1 after %d pairs (%.0f ms)", k, float64(k)/48)
			return
		}
		if math.Abs(g-want) > 1e-9 {
			t.Fatalf("pair %d: gain %v, want %v (the release curve)", k, g, want)
		}
		prev = g
		if k > 10*SampleRate {
			t.Fatal("no recovery in 10 s")
		}
	}
}

// TestLimiterProperties: random loud bursts, random configurations,
// random block sizes. Every output pair is its input pair (Delay late)
// times one gain shared by both channels, rounded; within the ceiling;
// never the clamp; the gain never above what the pair needs.
func TestLimiterProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 200 {
		cfg := LimiterConfig{
			Threshold: []float64{0.89, 1, 0.5, 3.0 / fullScale}[trial%4],
			Attack:    time.Duration(1+rng.IntN(int(FrameDuration/sampleDuration))) * sampleDuration,
			Hold:      time.Duration(rng.IntN(30)) * time.Millisecond,
			Release:   time.Duration(1+rng.IntN(500)) * time.Millisecond,
		}
		l := NewLimiter(cfg)
		c := int64(l.Ceiling())
		delayed := newDelayLine(l)
		for range 30 {
			n := []int{FrameLen, 2, 2 * (1 + rng.IntN(FrameSamples*2))}[rng.IntN(3)]
			in := make([]int32, n)
			scale := []float64{0.3, 1, 3, 30, 3e4}[rng.IntN(5)]
			for i := range in {
				if rng.IntN(50) == 0 || scale < 5 {
					in[i] = int32(max(math.MinInt32, min(math.MaxInt32, (rng.Float64()*2-1)*scale*fullScale)))
				}
			}
			out := make([]int16, n)
			l.Process(out, in)
			want := delayed.next(in)
			for p := 0; p < n; p += 2 {
				a, b := int64(want[p]), int64(want[p+1])
				x, y := int64(out[p]), int64(out[p+1])
				if x > c || x < -c || y > c || y < -c {
					t.Fatalf("trial %d: pair %d (%d, %d) beyond the ceiling %d", trial, p/2, x, y, c)
				}
				// one gain for both channels: |x - g·a| ≤ 0.5 for the g
				// implied by the louder channel
				big, bo, small, so := a, x, b, y
				if abs64(int32(b)) > abs64(int32(a)) {
					big, bo, small, so = b, y, a, x
				}
				if big == 0 {
					if bo != 0 || so != 0 {
						t.Fatalf("trial %d: silence in, (%d, %d) out", trial, x, y)
					}
					continue
				}
				glo, ghi := (float64(bo)-0.5)/float64(big), (float64(bo)+0.5)/float64(big)
				if glo > ghi {
					glo, ghi = ghi, glo
				}
				if e := math.Max(math.Abs(float64(so)-glo*float64(small)), math.Abs(float64(so)-ghi*float64(small))); math.Abs(float64(so)-float64(small)*(glo+ghi)/2) > 0.5+0.5*math.Abs(float64(small)/float64(big))+1e-6 {
					t.Fatalf("trial %d: pair (%d,%d) → (%d,%d): not one gain (err %v)", trial, a, b, x, y, e)
				}
				if math.Abs(float64(bo)) > float64(abs64(int32(big)))+0.5 {
					t.Fatalf("trial %d: gain above 1: %d → %d", trial, big, bo)
				}
			}
			if g := l.Gain(); math.IsNaN(g) || g <= 0 || g > 1 {
				t.Fatalf("trial %d: gain %v", trial, g)
			}
		}
		if l.Clamped() != 0 {
			t.Fatalf("trial %d %+v: clamp used %d times", trial, cfg, l.Clamped())
		}
	}
}

// TestLimiterNegativePeakInLookahead: a negative peak in a block's
// last Delay pairs (its lookahead, kept for the next block) is still
// approached by the attack ramp: the gain has fallen half-way Attack/2
// pairs before it, rather than stepping down at the peak.
func TestLimiterNegativePeakInLookahead(t *testing.T) {
	for _, v := range []int32{-40000, 40000} {
		l := NewLimiter(DefaultLimiterConfig())
		pair := FrameSamples - 10
		in := make([]int32, FrameLen)
		for i := range in {
			in[i] = 10000
		}
		in[2*pair] = v
		out := make([]int16, 2*FrameLen)
		l.Process(out[:FrameLen], in)
		rest := make([]int32, FrameLen)
		for i := range rest {
			rest[i] = 10000
		}
		l.Process(out[FrameLen:], rest)
		at := pair + l.Delay()
		gain := func(p int) float64 { return float64(out[2*p+1]) / 10000 } // the right channel
		for p := 1; p < at; p++ {
			if d := gain(p-1) - gain(p); d > 0.01 {
				t.Errorf("peak %d: the gain steps down by %.4f at output pair %d (%d before the peak): a click", v, d, p, at-p)
			}
		}
		if g := gain(at - 36); g > 0.9 {
			t.Errorf("peak %d: gain %.4f 36 pairs before it, want the ramp under way (< 0.9); at the peak %.4f", v, g, gain(at))
		}
	}
}
