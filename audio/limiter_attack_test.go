package audio

import (
	"math"
	"testing"
)

// TestLimiterRisingPeakRampsOverTheAttack: a peak approached by a pair
// just over the ceiling (the rising edge of any loud waveform) is faded
// in over the attack, like a lone peak: the gain, read from a steady
// level under the peak, falls by at most 1/attack a pair, and stays 1
// until the attack before the first pair over the ceiling.
func TestLimiterRisingPeakRampsOverTheAttack(t *testing.T) {
	const level = 10000
	l := NewLimiter(DefaultLimiterConfig())
	c := int32(l.Ceiling())
	attack := defaultAttack.Seconds() * SampleRate
	const frames = 4
	in := make([]int32, frames*FrameLen)
	for i := range in {
		in[i] = level
	}
	// In the third frame, a pair just over the ceiling, then a peak that
	// needs half the gain.
	edge := 2*FrameSamples + 700
	in[2*edge], in[2*edge+1] = c+50, c+50
	in[2*edge+2], in[2*edge+3] = 2*c, 2*c
	out := make([]int16, len(in))
	for n := range frames {
		l.Process(out[n*FrameLen:(n+1)*FrameLen], in[n*FrameLen:(n+1)*FrameLen])
	}
	d := l.Delay()
	prev := 1.0
	for p := d; p < frames*FrameSamples; p++ {
		src := p - d // the input pair this output pair is
		if src == edge || src == edge+1 {
			continue
		}
		g := float64(out[2*p]) / level
		if drop := prev - g; drop > 1/attack+2.0/level {
			t.Fatalf("input pair %d: gain falls %.4f → %.4f, a step (at most %.4f a pair over the attack)", src, prev, g, 1/attack)
		}
		if src < edge-int(math.Ceil(attack)) && g != 1 {
			t.Fatalf("input pair %d, %d pairs before the peak: gain %.4f, want 1 (the ramp begins the attack before it)", src, edge-src, g)
		}
		prev = g
	}
}

// TestLimiterRecoveryTimes: after the hold, the gain is back at exactly
// 1 about 1.6 Release after a 1 dB reduction, 3.7 Release after 10 dB
// and 4.8 Release after 30 dB, as LimiterConfig.Release says: quicker,
// the level pumps up between syllables; slower, a loud laugh ducks the
// voices after it for longer.
func TestLimiterRecoveryTimes(t *testing.T) {
	for _, tt := range []struct {
		db, releases float64
	}{{1, 1.6}, {10, 3.7}, {30, 4.8}} {
		l := NewLimiter(DefaultLimiterConfig())
		peak := int32(math.Round(float64(l.Ceiling()) * math.Pow(10, tt.db/20)))
		out := make([]int16, 2)
		l.Process(out, []int32{peak, peak})
		for range l.Delay() + l.hold {
			l.Process(out, []int32{0, 0})
		}
		if got := -20 * math.Log10(l.Gain()); math.Abs(got-tt.db) > 0.01 {
			t.Fatalf("%v dB over: a reduction of %.3f dB", tt.db, got)
		}
		pairs := 0
		for l.Gain() < 1 && pairs < 10*SampleRate {
			l.Process(out, []int32{0, 0})
			pairs++
		}
		got := float64(pairs) / SampleRate / defaultRelease.Seconds()
		if math.Abs(got-tt.releases) > 0.1 {
			t.Errorf("after a %v dB reduction the gain is back at 1 after %.2f Release, want about %.1f", tt.db, got, tt.releases)
		}
	}
}
