package audio

import (
	"math/rand/v2"
	"testing"
)

// TestVoicesPausedTalkerKeepsPlaceOverNoise: with Voices 4, three
// participants whose microphones pick up only a fan (−36 dBFS) and a
// quiet talker (syllables at −40 over a fan at −50) fill the mix, as the
// mixer chooses them (a frame that is only a slot's settled noise counts
// as silence). A fifth, in a quiet room, says "mm-hm" (−38 dBFS, 300 ms)
// while the talker pauses between two words (240 ms). The place that goes
// to them is a fan's, idle for seconds, not the talker's: the talker is
// not cut out mid-sentence while the fans stay in.
func TestVoicesPausedTalkerKeepsPlaceOverNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	v := Voices{Max: 4}
	smoothed, sounding := make([]float64, 5), make([]float64, 5)
	step := func(levels []float64) []bool {
		d.Update(levels)
		for i, lv := range levels {
			smoothed[i], sounding[i] = d.Smoothed(i), lv
			if d.Noise(i, lv) {
				sounding[i] = SilenceDBFS
			}
		}
		return v.Update(smoothed, sounding)
	}
	talker := func(f int) float64 { // words of 200 ms, gaps of 100 ms; one of 240 ms at 1000
		if f >= 1000 && f < 1012 || f%15 >= 10 {
			return hum(rng, -50)
		}
		return -40
	}
	f := 0
	for ; f < 1000; f++ { // 20 s: the fans are their own floor
		step([]float64{talker(f), hum(rng, -36), hum(rng, -36), hum(rng, -36), quiet})
	}
	for ; f < 1100; f++ {
		e := quiet
		if f >= 1002 && f < 1017 {
			e = -38
		}
		in := step([]float64{talker(f), hum(rng, -36), hum(rng, -36), hum(rng, -36), e})
		if !in[0] {
			t.Fatalf("frame %d: the talker is out of the mix (smoothed %.1f dBFS), the fans in %v", f-1000, smoothed[0], in[1:4])
		}
	}
}
