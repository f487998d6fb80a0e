package audio

import (
	"math/rand/v2"
	"testing"
)

// TestSpeakerCoughOverNoiseKeepsTheSpeaker: a cough (60 ms at −12 dBFS)
// in the speaker's pause, from a participant whose microphone picks up a
// steady noise above the floor, does not take the role: the noise's
// frames, each at or above Floor, are no talk.
func TestSpeakerCoughOverNoiseKeepsTheSpeaker(t *testing.T) {
	for _, bg := range []float64{-45, -30} {
		rng := rand.New(rand.NewPCG(1, 2))
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		f := 0
		for ; f < 500; f++ { // 10 s of talk, the second's fan running
			d.Update([]float64{speech(f, talk, quiet), hum(rng, bg)})
		}
		for end := f + 250; f < end; f++ { // the speaker pauses; the second coughs
			lv := hum(rng, bg)
			if f >= 520 && f < 523 { // 400 ms into the pause
				lv = -12
			}
			if d.Update([]float64{quiet, lv}) != 0 {
				t.Fatalf("fan at %v dBFS: a cough took the role %d frames after it", bg, f-520)
			}
		}
	}
}
