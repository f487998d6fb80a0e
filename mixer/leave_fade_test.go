package mixer

import (
	"context"
	"math"
	"testing"
	"time"

	"mcu/audio"
)

// TestLeaverFadesOut: someone who leaves while talking is faded out
// of the mixes, not cut off: a cut at an arbitrary point of their wave is
// a click in everyone's ear (here a step of about 0.2 of full scale, where
// the tone itself moves at most 0.017 from one sample to the next). The
// full mix is read before its encoder (after the limiter).
func TestLeaverFadesOut(t *testing.T) {
	for _, voices := range []int{0, 4} {
		cfg := testConfig()
		cfg.Voices = voices
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		const amp, hz = 0.3, 437
		m.Add(Participant{ID: "a", Audio: &toneSource{hz: hz, amp: amp}})
		m.Add(Participant{ID: "b", Audio: &toneSource{hz: hz, amp: 0}})
		var mix []int16
		ctx := context.Background()
		for tick := range 20 {
			if tick == 10 {
				m.Remove("a")
			}
			tt := time.Duration(tick) * audio.FrameDuration
			m.sync(tt)
			if err := m.audioTick(ctx, tt); err != nil {
				t.Fatal(err)
			}
			mix = append(mix, m.audio.out...)
		}
		natural := amp * 32767 * 2 * math.Pi * hz / audio.SampleRate
		worst, at := 0, 0
		for i := 2; i < len(mix); i += 2 {
			if d := int(mix[i]) - int(mix[i-2]); max(d, -d) > worst {
				worst, at = max(d, -d), i/2
			}
		}
		if float64(worst) > 1.5*natural {
			t.Errorf("voices %d: the mix steps by %d at sample %d (tick %d) as the talker leaves; the tone moves by %.0f at most",
				voices, worst, at, at/audio.FrameSamples, natural)
		}
	}
}
