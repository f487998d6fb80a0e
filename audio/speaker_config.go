package audio

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// Default speaker-detector settings (see DefaultSpeakerConfig).
const (
	defaultSmoothing   = 300 * time.Millisecond
	defaultFloor       = -50.0 // dBFS
	defaultMargin      = 6.0   // dB
	defaultSpeakerHold = 600 * time.Millisecond
)

// SpeakerConfig configures a SpeakerDetector. A zero field takes its
// default.
type SpeakerConfig struct {
	// Smoothing is the time constant of the exponential average of each
	// slot's power: long enough to ride over the gaps between words.
	Smoothing time.Duration
	// Floor, in dBFS, is the smoothed level below which a slot never
	// becomes the speaker (background noise). Must be in (−127, 0).
	Floor float64
	// Margin, in dB, is how much louder than the current speaker a
	// challenger must be.
	Margin float64
	// Hold is how long a challenger must stay Margin louder, without a
	// break, to take over; it is rounded up to whole frames.
	Hold time.Duration
}

// DefaultSpeakerConfig returns settings suited to conversation: 300 ms
// smoothing, −50 dBFS floor, 6 dB margin, 600 ms (30 frames) hold.
func DefaultSpeakerConfig() SpeakerConfig {
	return SpeakerConfig{
		Smoothing: defaultSmoothing,
		Floor:     defaultFloor,
		Margin:    defaultMargin,
		Hold:      defaultSpeakerHold,
	}
}

// withDefaults returns c with every zero field replaced by its default.
func (c SpeakerConfig) withDefaults() SpeakerConfig {
	d := DefaultSpeakerConfig()
	c.Smoothing = cmp.Or(c.Smoothing, d.Smoothing)
	c.Floor = cmp.Or(c.Floor, d.Floor)
	c.Margin = cmp.Or(c.Margin, d.Margin)
	c.Hold = cmp.Or(c.Hold, d.Hold)
	return c
}

// Validate reports whether c, with its zero fields defaulted, is usable.
// The error wraps ErrConfig.
func (c SpeakerConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Smoothing < 0:
		return fmt.Errorf("%w: speaker smoothing %v is negative", ErrConfig, c.Smoothing)
	case math.IsNaN(c.Floor) || c.Floor <= SilenceDBFS || c.Floor >= 0:
		return fmt.Errorf("%w: speaker floor %v dBFS not in (%v, 0)", ErrConfig, c.Floor, SilenceDBFS)
	case math.IsNaN(c.Margin) || c.Margin < 0 || c.Margin > 60:
		return fmt.Errorf("%w: speaker margin %v dB not in [0, 60]", ErrConfig, c.Margin)
	case c.Hold < 0:
		return fmt.Errorf("%w: speaker hold %v is negative", ErrConfig, c.Hold)
	}
	return nil
}

// holdFrames returns Hold in whole frames, at least 1.
func (c SpeakerConfig) holdFrames() int {
	return max(1, int((c.Hold+FrameDuration-1)/FrameDuration))
}
