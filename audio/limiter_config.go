package audio

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// Default limiter settings (see DefaultLimiterConfig).
const (
	// defaultThreshold is 0.89 of full scale, about −1 dBFS: headroom for the
	// overshoot of a lossy encoder's reconstruction.
	defaultThreshold = 0.89
	// defaultAttack is the length of the gain ramp ahead of a peak.
	defaultAttack = 1500 * time.Microsecond
	// defaultLimiterHold is how long the gain stays down after a peak: longer than
	// half a period of 50 Hz, so the gain does not follow the waveform.
	defaultLimiterHold = 10 * time.Millisecond
	// defaultRelease is the time constant of the gain recovery.
	defaultRelease = 150 * time.Millisecond
)

// sampleDuration is the duration of one sample pair, the shortest attack.
const sampleDuration = time.Second / SampleRate

// LimiterConfig configures a Limiter. A zero field takes its default.
type LimiterConfig struct {
	// Threshold is the largest output magnitude as a fraction of full scale
	// (32767), in (0, 1]. The Limiter never outputs a sample beyond
	// floor(Threshold·32767) in magnitude.
	Threshold float64
	// Attack is how long before a peak the gain starts to fall: each
	// reduction ramps in linearly over at least Attack. It must lie between
	// one sample and one frame. The output is delayed by the attack
	// (rounded up to whole samples): it is the lookahead.
	Attack time.Duration
	// Hold is how long the gain stays at its lowest after a peak before it
	// starts to recover. A hold longer than half the period of the lowest
	// frequency keeps the gain steady under a steady tone instead of
	// letting it rise and fall with every half-wave (which would distort).
	Hold time.Duration
	// Release is the time constant, in the dB domain, of the recovery
	// towards unity gain after the hold. Recovery completes (the gain is
	// exactly 1) about 1.6 Release after a 1 dB reduction, 3.7 Release after
	// 10 dB and 4.8 Release after 30 dB.
	Release time.Duration
}

// DefaultLimiterConfig returns the settings suited to speech: −1 dBFS
// ceiling, 1.5 ms attack, 10 ms hold, 150 ms release.
func DefaultLimiterConfig() LimiterConfig {
	return LimiterConfig{
		Threshold: defaultThreshold,
		Attack:    defaultAttack,
		Hold:      defaultLimiterHold,
		Release:   defaultRelease,
	}
}

// withDefaults returns c with every zero field replaced by its default.
func (c LimiterConfig) withDefaults() LimiterConfig {
	d := DefaultLimiterConfig()
	c.Threshold = cmp.Or(c.Threshold, d.Threshold)
	c.Attack = cmp.Or(c.Attack, d.Attack)
	c.Hold = cmp.Or(c.Hold, d.Hold)
	c.Release = cmp.Or(c.Release, d.Release)
	return c
}

// Validate reports whether c, with its zero fields defaulted, is usable.
// The error wraps ErrConfig.
func (c LimiterConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case math.IsNaN(c.Threshold) || c.Threshold <= 0 || c.Threshold > 1:
		return fmt.Errorf("%w: limiter threshold %v not in (0, 1]", ErrConfig, c.Threshold)
	case math.Floor(c.Threshold*fullScale) < 1:
		return fmt.Errorf("%w: limiter threshold %v is below one LSB", ErrConfig, c.Threshold)
	case c.Attack < sampleDuration || c.Attack > FrameDuration:
		return fmt.Errorf("%w: limiter attack %v not in [%v, %v]", ErrConfig, c.Attack, sampleDuration, FrameDuration)
	case c.Hold < 0:
		return fmt.Errorf("%w: limiter hold %v is negative", ErrConfig, c.Hold)
	case c.Release < sampleDuration:
		return fmt.Errorf("%w: limiter release %v shorter than one sample", ErrConfig, c.Release)
	}
	return nil
}
