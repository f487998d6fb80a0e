package mixer

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"mcu/audio"
)

// fanSource is a steady noise (a fan, a hiss) at rms of full scale.
type fanSource struct {
	rms float64
	rng *rand.Rand
}

func (s *fanSource) AudioAt(_ context.Context, _ time.Duration, pcm []int16) (bool, error) {
	for i := range audio.FrameSamples {
		v := int16(max(-32767, min(32767, s.rms*32767*s.rng.NormFloat64())))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	return true, nil
}

// phraseSource talks: a tone at amp whose level rises and falls four
// times a second, in phrases of 3 s with 2 s of silence between them. At
// each tick of a phrase it notes whether the mixer had them heard.
type phraseSource struct {
	m      *Mixer
	id     string
	amp    float64
	n      int
	missed []int // by phrase, ticks of its first second not heard
}

func (s *phraseSource) AudioAt(_ context.Context, _ time.Duration, pcm []int16) (bool, error) {
	tick := s.n / audio.FrameSamples
	talking := tick%250 < 150
	for i := range audio.FrameSamples {
		t := float64(s.n+i) / audio.SampleRate
		v := 0.0
		if talking {
			v = s.amp * math.Abs(math.Sin(4*math.Pi*t)) * math.Sin(2*math.Pi*300*t)
		}
		pcm[2*i], pcm[2*i+1] = int16(v*32767), int16(v*32767)
	}
	if phrase := tick / 250; talking && tick%250 > 0 && tick%250 < 50 {
		for len(s.missed) <= phrase {
			s.missed = append(s.missed, 0)
		}
		if heard, _ := s.m.Voice(s.id); !heard {
			s.missed[phrase]++
		}
	}
	s.n += audio.FrameSamples
	return true, nil
}

// TestVoicesSteadyNoiseGivesWayToATalker: with Voices 4, four
// participants whose microphones pick up only a steady noise (−36 dBFS,
// each its own fan) fill the mix; a fifth talks in phrases, about 10 dB
// over them. The noises, each long its own floor, are no talk: the
// talker is heard from the start of every phrase, not only once their
// average has climbed 6 dB over a fan's (the first word of each lost).
func TestVoicesSteadyNoiseGivesWayToATalker(t *testing.T) {
	m, _ := voicesMixer(t, 4)
	for i := range 4 {
		m.Add(Participant{ID: string(rune('a' + i)), Audio: &fanSource{rms: 0.0158, rng: rand.New(rand.NewPCG(uint64(i), 1))}})
	}
	talker := &phraseSource{m: m, id: "talker", amp: 0.1}
	m.Add(Participant{ID: "talker", Audio: talker})
	run(t, m, 30*time.Second)
	// The first phrase and the next start 5 s apart: the fans are their
	// own floor after the first few seconds.
	for phrase, n := range talker.missed[2:] {
		if n > 3 {
			t.Errorf("phrase %d: the talker was out of the mix for %d of its first 49 ticks", phrase+2, n)
		}
	}
}
