package audio

import (
	"math/rand/v2"
	"testing"
)

// TestSpeakerNoiseThatHoldsTheRoleGivesItToATalker: a participant whose
// microphone picks up only a steady noise (a fan, a hum, a hiss at
// −26 dBFS) gets the role when nobody else sounds: they joined first, or
// the speaker left. A talker whose words are less than Margin above that
// noise (syllables at −20 dBFS) then takes it as from a silent speaker,
// within a few Holds: the noise, long its own floor, is no talk.
func TestSpeakerNoiseThatHoldsTheRoleGivesItToATalker(t *testing.T) {
	for _, leaves := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(5, 6))
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		f := 0
		for ; f < 500; f++ { // 10 s: the fan's slot 1 sounds; slot 2 talks, or nobody
			lv := quiet
			if leaves {
				lv = speech(f, talk, quiet)
			}
			d.Update([]float64{quiet, hum(rng, -26), lv})
		}
		if leaves {
			d.Forget(2)
		}
		if s := d.Speaker(); s != 1 {
			t.Fatalf("speaker left %v: the fan's slot is not the speaker (%d)", leaves, s)
		}
		start := f
		for ; f < start+500 && d.Speaker() != 0; f++ { // slot 0 talks
			d.Update([]float64{speech(f, talk, quiet), hum(rng, -26), quiet})
		}
		if took := f - start; d.Speaker() != 0 {
			t.Errorf("speaker left %v: a talker 6 dB over a fan's noise did not take the role from it in 10 s", leaves)
		} else if took > 3*d.hold {
			t.Errorf("speaker left %v: a talker took the role from a fan's slot after %d frames, want at most %d", leaves, took, 3*d.hold)
		}
	}
}
