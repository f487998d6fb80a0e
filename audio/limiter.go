package audio

import (
	"fmt"
	"math"
)

// releaseOvershoot is where the release heads for, as a natural-log gain:
// +0.25 dB, slightly above unity, so that the exponential recovery reaches
// exactly 1 in finite time (and is then held there) instead of creeping
// towards it forever. At the crossing the gain rises at only
// 0.25 dB per Release: a bend, not a step.
const releaseOvershoot = 0.25 * math.Ln10 / 20

// Limiter converts int32 mix samples to int16 output with a peak limiter.
// Each output stream (the full mix and every mix-minus) needs its own
// Limiter, because the gain carries over from frame to frame. A Limiter is
// not safe for concurrent use; Process is deterministic and allocates
// nothing.
//
// Design. The output is the input delayed by the attack (Delay pairs,
// 1.5 ms by default): each block of up to one frame is processed with
// the Delay pairs that follow it as its lookahead, so that every
// reduction is faded in over the whole attack, also when its peak comes
// in the first pairs of the next block.
//
//  1. Required gain: for every stereo pair, r = ceiling/peak where peak is
//     the louder channel's magnitude and ceiling = floor(Threshold·32767);
//     r = 1 when the pair is within the ceiling.
//  2. Attack (backward pass, from the end of the lookahead): the gain may
//     not fall faster than a linear ramp that starts Attack before a
//     reduction, so each reduction is faded in rather than switched on.
//     The ramp is re-anchored at every pair that needs a reduction, which
//     keeps the envelope at or below r everywhere and makes every fall
//     last at least Attack.
//  3. Hold and release (forward pass over the pairs put out, from the
//     previous block's state): after each pair that pulls the gain down,
//     the gain stays put for Hold, then rises along a one-pole curve in
//     the dB domain (time constant Release) aimed just above unity and
//     clamped at exactly 1. Falls are taken as step 2 shaped them, so the
//     gain never exceeds r.
//  4. Output: both channels of a pair get the same gain (no image shift);
//     samples are rounded to nearest and then clamped to ±ceiling, a safety
//     net that steps 1–3 make unnecessary (Clamped counts its use).
//
// The only unsoftened gain change is at the very start of a stream, whose
// first pairs may need a reduction at once (nothing was put out before
// them to ramp over).
//
// While the gain is 1 and every sample is within the ceiling, Process is an
// exact int32 → int16 copy, delayed: a mix-minus at normal levels is
// bit-exact.
type Limiter struct {
	ceiling  int32   // largest output magnitude
	ceilingF float64 // ceiling as a float64
	attack   float64 // Attack in sample pairs, ≥ 1
	hold     int     // Hold in sample pairs
	release  float64 // per-pair release coefficient 1 − exp(−1/(Release·fs))
	gain     float64 // gain of the last pair processed
	logGain  float64 // ln(gain) during a release; stale after a pull-down
	stale    bool    // logGain must be recomputed from gain
	holdLeft int     // pairs before the release may start
	clamped  uint64  // samples altered by the safety clamp
	hist     []int32 // the last Delay pairs taken in, not yet put out
	ext      []int32 // scratch: hist, then a block
	gains    []float64
}

// NewLimiter returns a Limiter at unity gain. Zero fields of cfg take their
// defaults; NewLimiter panics if cfg fails Validate (check configurations
// that come from users with Validate first).
func NewLimiter(cfg LimiterConfig) *Limiter {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("audio: NewLimiter: %v", err))
	}
	cfg = cfg.withDefaults()
	ceiling := int32(math.Floor(cfg.Threshold * fullScale))
	attack := max(1, cfg.Attack.Seconds()*SampleRate)
	delay := int(math.Ceil(attack))
	return &Limiter{
		ceiling:  ceiling,
		ceilingF: float64(ceiling),
		attack:   attack,
		hold:     int(math.Round(cfg.Hold.Seconds() * SampleRate)),
		release:  -math.Expm1(-1 / (cfg.Release.Seconds() * SampleRate)),
		gain:     1,
		hist:     make([]int32, delay*Channels),
		ext:      make([]int32, delay*Channels+FrameLen),
		gains:    make([]float64, delay+FrameSamples),
	}
}

// Delay returns how many sample pairs the output lags the input: the
// attack, rounded up (72, 1.5 ms, by default).
func (l *Limiter) Delay() int { return len(l.hist) / Channels }

// Gain returns the gain applied to the last sample pair processed: 1 when
// no reduction is in force.
func (l *Limiter) Gain() float64 { return l.gain }

// Ceiling returns the largest magnitude Process ever outputs,
// floor(Threshold·32767).
func (l *Limiter) Ceiling() int16 { return int16(l.ceiling) }

// Clamped returns how many output samples the final safety clamp has
// altered since construction. It stays 0 unless the gain computation is
// defeated by rounding, so a non-zero value in metrics points to a bug.
func (l *Limiter) Clamped() uint64 { return l.clamped }

// Reset returns the Limiter to unity gain and silence, as after
// NewLimiter, for a stream that restarts after a gap.
func (l *Limiter) Reset() {
	l.gain, l.logGain, l.stale, l.holdLeft = 1, 0, false, 0
	clear(l.hist)
}

// ContinueFrom puts l where src is (its gain, where its hold and release
// stand, and the input it has yet to put out), so that l goes on from
// src's last frame without a jump. Both must have the same configuration.
func (l *Limiter) ContinueFrom(src *Limiter) {
	l.gain, l.logGain, l.stale, l.holdLeft = src.gain, src.logGain, src.stale, src.holdLeft
	copy(l.hist, src.hist)
}

// Process writes src, delayed by Delay pairs and gain-reduced as needed,
// to dst as int16. dst and src must have the same, even length (stereo
// pairs; Process panics otherwise), normally FrameLen. Longer input is
// processed in frame-sized blocks. Any int32 value is accepted.
func (l *Limiter) Process(dst []int16, src []int32) {
	if len(dst) != len(src) || len(src)%Channels != 0 {
		panic("audio: Limiter.Process: len(dst) != len(src), or not whole pairs")
	}
	for len(src) > 0 {
		n := min(len(src), FrameLen)
		l.block(dst[:n], src[:n])
		dst, src = dst[n:], src[n:]
	}
}

// block processes at most FrameLen samples: the history and the block's
// first pairs go out, the block's last Delay pairs become the history.
func (l *Limiter) block(dst []int16, src []int32) {
	n, d, c := len(src), len(l.hist), l.ceiling
	// Quiet (the common case): the history, then the block's first pairs,
	// copied out as they are, without putting the two together first.
	if l.gain == 1 && n >= d && copyIfWithin(dst[:d], l.hist, c) && copyIfWithin(dst[d:], src[:n-d], c) && within(src[n-d:], c) {
		copy(l.hist, src[n-d:])
		return
	}
	ext := l.ext[:d+n]
	copy(ext, l.hist)
	copy(ext[d:], src)
	g := l.gains[:len(ext)/Channels]
	if l.required(g, ext) {
		l.attackPass(g)
	}
	out := g[:n/Channels]
	l.releasePass(out)
	l.apply(dst, ext[:n], out)
	copy(l.hist, ext[n:])
}

// required fills g with the gain each pair needs to stay within the
// ceiling and reports whether any pair needs less than 1.
func (l *Limiter) required(g []float64, src []int32) bool {
	loud := false
	for i := range g {
		p := abs64(src[2*i])
		if 2*i+1 < len(src) {
			p = max(p, abs64(src[2*i+1]))
		}
		if p > int64(l.ceiling) {
			g[i] = l.ceilingF / float64(p)
			loud = true
		} else {
			g[i] = 1
		}
	}
	return loud
}

// attackPass walks g backwards and lowers it so that every reduction is
// approached by a linear ramp at least l.attack pairs long. depth is the
// reduction (1 − gain) of the ramp in force and slope how much it shrinks
// per pair going back in time.
func (l *Limiter) attackPass(g []float64) {
	var depth, slope float64
	for i := len(g) - 1; i >= 0; i-- {
		depth -= slope
		if depth <= 0 {
			depth, slope = 0, 0
		}
		if need := 1 - g[i]; need > 0 {
			depth = max(depth, need)
			slope = depth / l.attack
		}
		g[i] = min(g[i], 1-depth)
	}
}

// taylorLimit is the largest per-pair release step (in natural-log gain)
// applied by a third-order series instead of math.Exp; the series' relative
// error there is below 5e-14 per pair. Default settings step at most 5e-4.
const taylorLimit = 1.0 / 1024

// releasePass walks g forwards from the previous block's state, holding
// the gain after each pull-down and then limiting how fast it rises; it
// leaves falls untouched, so g stays at or below the required gain.
func (l *Limiter) releasePass(g []float64) {
	cur, lg := l.gain, l.logGain
	for i, want := range g {
		if l.holdLeft > 0 {
			l.holdLeft--
		} else if cur < 1 {
			if l.stale {
				lg, l.stale = math.Log(cur), false
			}
			step := (releaseOvershoot - lg) * l.release
			lg += step
			switch {
			case lg >= 0:
				lg, cur = 0, 1
			case step < taylorLimit:
				cur = min(1, cur*(1+step*(1+step*(0.5+step/6))))
			default:
				cur = math.Exp(lg)
			}
		}
		if want < 1 && want <= cur {
			cur, l.stale, l.holdLeft = want, true, l.hold
		}
		g[i] = cur
	}
	l.gain, l.logGain = cur, lg
}

// apply writes src·g to dst, rounded to nearest, clamping to the ceiling.
// Steps 1–3 keep |src·g| ≤ ceiling, so the offset below keeps the value
// positive and truncation rounds it without a branch on the sign.
func (l *Limiter) apply(dst []int16, src []int32, g []float64) {
	const offset = 1 << 16
	c := l.ceiling
	for i, x := range src {
		v := float64(x) * g[i>>1]
		q := int32(int64(v+(offset+0.5)) - offset)
		if q > c || q < -c {
			q = min(max(q, -c), c)
			l.clamped++
		}
		dst[i] = int16(q)
	}
}

// within reports whether every sample of src lies within ±c.
func within(src []int32, c int32) bool {
	var lo, hi int32
	for _, x := range src {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return hi <= c && lo >= -c
}

// copyIfWithin copies src to dst as int16 and reports whether every sample
// lies within ±c; if not, dst holds garbage.
func copyIfWithin(dst []int16, src []int32, c int32) bool {
	dst = dst[:len(src)]
	var lo, hi int32
	for i, x := range src {
		lo = min(lo, x)
		hi = max(hi, x)
		dst[i] = int16(x)
	}
	return hi <= c && lo >= -c
}

// abs64 returns |x| without overflow for math.MinInt32.
func abs64(x int32) int64 {
	v := int64(x)
	if v < 0 {
		return -v
	}
	return v
}
