package mixer

import (
	"context"
	"math"
	"testing"
	"time"

	"mcu/audio"
)

// TestUnmuteFadesIn: a participant unmuted while they sound (the noise
// they were muted for) comes back into the mixes faded in over a tick,
// not at full gain mid-wave (a click in everyone's ear), with and
// without a limit of voices.
func TestUnmuteFadesIn(t *testing.T) {
	for _, voices := range []int{0, 4} {
		cfg := testConfig()
		cfg.Voices = voices
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		const amp, hz = 0.3, 437
		m.Add(Participant{ID: "a", Audio: &toneSource{hz: hz, amp: amp}, MixMinus: true})
		m.Add(Participant{ID: "b", Audio: &toneSource{hz: 1060, amp: 0}, MixMinus: true})
		ctx := context.Background()
		var mix []int16
		for n := range 60 {
			switch n {
			case 20:
				m.SetMuted("a", true)
			case 30:
				m.SetMuted("a", false)
			}
			tt := time.Duration(n) * audio.FrameDuration
			m.sync(tt)
			if err := m.audioTick(ctx, tt); err != nil {
				t.Fatal(err)
			}
			mix = append(mix, m.audio.out...)
		}
		natural := amp * 32767 * 2 * math.Pi * hz / audio.SampleRate
		// From the silence of the mute to the tone back (voices: it may
		// take a few ticks to be one of them again).
		f := mix[28*audio.FrameLen : 40*audio.FrameLen]
		for i := 2; i < len(f); i += 2 {
			if d := math.Abs(float64(f[i]) - float64(f[i-2])); d > 1.5*natural {
				t.Errorf("voices %d: the mix steps by %.0f at sample %d from tick 28; the tone moves by %.0f at most", voices, d, i/2, natural)
				break
			}
		}
	}
}

// TestMutedLeaverNotFadedOutAgain: someone who leaves right after the
// tick their mute faded them out over is not heard again, faded out a
// second time from full gain (a click), in the tick after.
func TestMutedLeaverNotFadedOutAgain(t *testing.T) {
	for _, voices := range []int{0, 4} {
		cfg := testConfig()
		cfg.Voices = voices
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		const amp, hz = 0.3, 437
		m.Add(Participant{ID: "a", Audio: &toneSource{hz: hz, amp: amp}, MixMinus: true})
		m.Add(Participant{ID: "b", Audio: &toneSource{hz: 1060, amp: 0}, MixMinus: true})
		ctx := context.Background()
		var mix []int16
		for n := range 30 {
			switch n {
			case 20:
				m.SetMuted("a", true)
			case 21:
				m.Remove("a")
			}
			tt := time.Duration(n) * audio.FrameDuration
			m.sync(tt)
			if err := m.audioTick(ctx, tt); err != nil {
				t.Fatal(err)
			}
			mix = append(mix, m.audio.out...)
		}
		for n := 22; n < 30; n++ {
			for _, v := range mix[n*audio.FrameLen : (n+1)*audio.FrameLen] {
				if v != 0 {
					t.Errorf("voices %d: tick %d holds a sample %d after the muted a left, want silence", voices, n, v)
					break
				}
			}
		}
	}
}

// TestMutedJustOutOfTheVoicesStaysOut: with a limit of voices, someone
// muted on the tick after they were faded out of the voices (a louder
// talker took their place) is not faded out a second time, from full
// gain: their sound had already left the mixes.
func TestMutedJustOutOfTheVoicesStaysOut(t *testing.T) {
	cfg := testConfig()
	cfg.Voices = 1
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	const amp, hz = 0.063, 437
	m.Add(Participant{ID: "a", Audio: &toneSource{hz: hz, amp: amp}, MixMinus: true})
	m.Add(Participant{ID: "b", Audio: &pausingTalker{to: time.Second, tone: toneSource{hz: 1060, amp: 0.5}}, MixMinus: true})
	ctx := context.Background()
	var mix []int16
	out := -1 // the tick a was faded out of the voices over
	wasHeard := false
	for n := range 100 {
		tt := time.Duration(n) * audio.FrameDuration
		m.sync(tt)
		if err := m.audioTick(ctx, tt); err != nil {
			t.Fatal(err)
		}
		mix = append(mix, m.audio.out...)
		heard, _ := m.Voice("a")
		if wasHeard && !heard && out < 0 {
			out = n
			m.SetMuted("a", true)
		}
		wasHeard = heard
	}
	if out < 0 {
		t.Fatal("a never left the voices (the test's talkers are wrong)")
	}
	// From the tick after the fade (the limiter delays it by a few
	// samples: from its middle).
	after := mix[(out+1)*audio.FrameLen+audio.FrameLen/2 : (out+4)*audio.FrameLen]
	if l := goertzel(after, 0, hz); l > amp/100 {
		t.Errorf("a's tone at %.4f in the ticks after they left the voices, then were muted; want none", l)
	}
}
