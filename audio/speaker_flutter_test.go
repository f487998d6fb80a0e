package audio

import "testing"

// TestSpeakerFlutteringNoiseDoesNotTakeTheRole: a participant whose
// microphone picks up a noise that flutters a few decibels (traffic, an
// air conditioner's swell: 4 frames in 5 at -36 dBFS, the fifth back at
// -40) never takes the role from a talker who paused. Its frames are
// mostly 2 dB over its floor (sounding), but its average stays within
// speakerAboveNoise of the floor: it is not talk.
func TestSpeakerFlutteringNoiseDoesNotTakeTheRole(t *testing.T) {
	noise := func(f int) float64 {
		if f%5 == 0 {
			return -40
		}
		return -36
	}
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	f := 0
	for ; f < 500; f++ { // 10 s of talk beside the noise
		d.Update([]float64{speech(f, talk, quiet), noise(f)})
	}
	if s := d.Speaker(); s != 0 {
		t.Fatalf("after 10 s of talk: speaker %d, want the talker, 0", s)
	}
	for end := f + 1500; f < end; f++ { // 30 s in which only the noise sounds
		if s := d.Update([]float64{quiet, noise(f)}); s != 0 {
			t.Fatalf("%.2f s into the talker's pause the noise's slot took the role (speaker %d)", float64(f-500)*FrameDuration.Seconds(), s)
		}
	}
}

// TestSpeakerSteadySoundTakenForNoiseAfterNineSeconds: a steady sound
// 30 dB above the lowest noise floor (a fan switched on, a long hum) is
// that slot's noise only after about 9 s (its floor rising
// speakerNoiseRise dB a second): sooner, a talker's long vowel would be
// taken for noise; later, a fan switched on would count as sounding for
// longer.
func TestSpeakerSteadySoundTakenForNoiseAfterNineSeconds(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	level := defaultFloor - speakerAboveNoise + 30
	first := -1
	for f := range 1000 {
		d.Update([]float64{level})
		if d.Noise(0, level) {
			first = f
			break
		}
	}
	if s := float64(first+1) * FrameDuration.Seconds(); first < 0 || s < 8 || s > 9.5 {
		t.Errorf("a steady sound 30 dB over the lowest floor taken for noise after %.2f s, want about 9 s", s)
	}
}
