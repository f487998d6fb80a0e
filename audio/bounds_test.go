package audio

import (
	"testing"
	"time"
)

// TestSpeakerHoldRestartsAfterABreak: a challenger must be Margin louder
// for the whole Hold without a break. Two runs of 20 frames with a break
// between (B no louder than A for two frames) are not 30 frames in a row:
// A keeps the role.
func TestSpeakerHoldRestartsAfterABreak(t *testing.T) {
	// Smoothing of a millisecond: the average is the frame's own level, so
	// the break is exactly the frames B is not louder.
	d := NewSpeakerDetector(SpeakerConfig{Smoothing: time.Millisecond})
	if s := runFrames(d, 1, talk, quiet); s != 0 {
		t.Fatalf("speaker after A alone = %d, want 0", s)
	}
	if s := runFrames(d, 20, talk, shout); s != 0 {
		t.Fatalf("speaker after B's first 20 louder frames = %d, want A (0): the hold is 30", s)
	}
	if s := runFrames(d, 2, talk, talk); s != 0 {
		t.Fatalf("speaker during the break = %d, want A (0)", s)
	}
	if s := runFrames(d, 20, talk, shout); s != 0 {
		t.Errorf("speaker after 20 + 2 (break) + 20 louder frames = %d, want A (0): the hold restarts after a break", s)
	}
	if s := runFrames(d, 10, talk, shout); s != 1 {
		t.Errorf("speaker after 30 louder frames in a row = %d, want B (1)", s)
	}
}

// TestSpeakerLongHoldHandsOver: a hold longer than the 64 frames of
// voicing history (here 3 s, 150 frames) must still let a challenger who
// talks all along take over.
func TestSpeakerLongHoldHandsOver(t *testing.T) {
	d := NewSpeakerDetector(SpeakerConfig{Hold: 3 * time.Second})
	runFrames(d, 50, talk, quiet)
	if s := runFrames(d, 400, talk, shout); s != 1 {
		t.Errorf("speaker after B shouted for 8 s with a 3 s hold = %d, want B (1)", s)
	}
}

// TestSpeakerSmoothedOutOfRange: Smoothed of a slot one past the last is
// an unknown slot, SilenceDBFS, not a panic.
func TestSpeakerSmoothedOutOfRange(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	d.Update([]float64{talk, talk})
	for _, slot := range []int{-1, 2, 3} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Smoothed(%d) with 2 slots panicked: %v", slot, r)
				}
			}()
			if got := d.Smoothed(slot); got != SilenceDBFS {
				t.Errorf("Smoothed(%d) with 2 slots = %v, want %v", slot, got, SilenceDBFS)
			}
		}()
	}
}

// TestLimiterCeilingAndDelayRoundings: the ceiling is floor(Threshold·32767)
// (never above the threshold) and the delay is the attack rounded up (the
// lookahead covers the whole attack ramp).
func TestLimiterCeilingAndDelayRoundings(t *testing.T) {
	tests := []struct {
		cfg     LimiterConfig
		ceiling int16
		delay   int
	}{
		{DefaultLimiterConfig(), 29162, 72}, // 0.89·32767 = 29162.63; 1.5 ms = 72 pairs
		{LimiterConfig{Threshold: 0.5}, 16383, 72},
		{LimiterConfig{Attack: 1010 * time.Microsecond}, 29162, 49}, // 48.48 pairs
		{LimiterConfig{Attack: sampleDuration}, 29162, 1},
	}
	for _, tt := range tests {
		l := NewLimiter(tt.cfg)
		if got := l.Ceiling(); got != tt.ceiling {
			t.Errorf("%+v: Ceiling() = %d, want %d", tt.cfg, got, tt.ceiling)
		}
		if got := l.Delay(); got != tt.delay {
			t.Errorf("%+v: Delay() = %d, want %d", tt.cfg, got, tt.delay)
		}
	}
}

// TestConfigValidateNegativeHold: a negative hold is refused by both
// configurations.
func TestConfigValidateNegativeHold(t *testing.T) {
	if err := (LimiterConfig{Hold: -time.Millisecond}).Validate(); err == nil {
		t.Error("LimiterConfig{Hold: -1ms}.Validate() = nil, want an error")
	}
	if err := (SpeakerConfig{Hold: -time.Millisecond}).Validate(); err == nil {
		t.Error("SpeakerConfig{Hold: -1ms}.Validate() = nil, want an error")
	}
}
