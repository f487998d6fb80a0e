package audio

import "testing"

// TestVoicesNextTalkerHeardPromptly drives a SpeakerDetector and a
// Voices{Max: 4} as the mixer does (chooseVoices: detector.Update, then
// Voices.Update of the detector's smoothed levels and the frame's).
// Four people talk (or laugh) together for two seconds and stop; a fifth
// answers at the same level, or 6 dB louder, from the next frame. The
// answer is in the mix once the four have been silent for VoiceIdle and
// it is louder than the weakest of them (220 ms at the same level), or
// at once the margin louder; it was 480 ms when the silent kept their
// places until the answer was the margin over their fading levels.
func TestVoicesNextTalkerHeardPromptly(t *testing.T) {
	for _, answer := range []float64{-20, -14} {
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		v := Voices{Max: 4}
		levels := make([]float64, 5)
		smoothed := make([]float64, 5)
		step := func() []bool {
			d.Update(levels)
			for i := range smoothed {
				smoothed[i] = d.Smoothed(i)
			}
			return v.Update(smoothed, levels)
		}
		for i := range 4 {
			levels[i] = -20
		}
		levels[4] = SilenceDBFS
		for range 100 {
			step()
		}
		for i := range 4 {
			levels[i] = SilenceDBFS
		}
		levels[4] = answer
		frames := -1
		for f := range 200 {
			if step()[4] {
				frames = f
				break
			}
		}
		ms := frames * int(FrameDuration.Milliseconds())
		t.Logf("answer at %v dBFS: first in the mix after %d ms", answer, ms)
		if frames < 0 || ms > 240 {
			t.Errorf("an answer at %v dBFS, right after four others at -20 stop, is in no mix for %d ms (its first syllables lost)", answer, ms)
		}
	}
}
