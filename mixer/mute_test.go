package mixer

import (
	"context"
	"math"
	"testing"
	"time"

	"mcu/audio"
)

// TestMutedLeavesTheMixesFadedOut: a participant muted by the room's
// moderator (SetMuted) leaves the full mix, and the others' mixes, from
// the next audio tick, faded out over it (a cut mid-wave is a click in
// everyone's ear), is not heard nor the speaker; unmuted, they are back.
// With and without a limit of voices.
func TestMutedLeavesTheMixesFadedOut(t *testing.T) {
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
		tick := func(n int) {
			tt := time.Duration(n) * audio.FrameDuration
			m.sync(tt)
			if err := m.audioTick(ctx, tt); err != nil {
				t.Fatal(err)
			}
		}
		for n := range 40 {
			switch n {
			case 20:
				if found, changed := m.SetMuted("a", true); !found || !changed {
					t.Fatalf("SetMuted: found %v, changed %v; want both", found, changed)
				}
				if _, changed := m.SetMuted("a", true); changed {
					t.Error("SetMuted again: changed")
				}
			case 30:
				m.SetMuted("a", false)
			}
			tick(n)
			mix = append(mix, m.audio.out...)
			switch heard, speaker := m.Voice("a"); {
			case n >= 20 && n < 30 && (heard || speaker || !m.Muted("a")):
				t.Errorf("voices %d, tick %d, muted: heard %v, speaker %v, Muted %v", voices, n, heard, speaker, m.Muted("a"))
			case n >= 36 && !heard:
				t.Errorf("voices %d, tick %d, unmuted: not heard", voices, n)
			}
		}
		frame := func(n int) []int16 { return mix[n*audio.FrameLen : (n+1)*audio.FrameLen] }
		level := func(from, to int) float64 {
			return goertzel(mix[from*audio.FrameLen:to*audio.FrameLen], 0, hz)
		}
		if l := level(10, 20); math.Abs(20*math.Log10(l/amp)) > 1 {
			t.Errorf("voices %d: a's tone at %.3f before the mute, want %.2f", voices, l, amp)
		}
		if l := level(21, 30); l > amp/1000 {
			t.Errorf("voices %d: a's tone at %.4f while muted, want none", voices, l)
		}
		if l := level(34, 40); math.Abs(20*math.Log10(l/amp)) > 1 {
			t.Errorf("voices %d: a's tone at %.3f after the unmute, want %.2f", voices, l, amp)
		}
		// Faded over tick 20 (the limiter delays it by a few samples): no
		// step larger than the tone's own from tick 19 to 22, and nothing
		// of it left in tick 22.
		natural := amp * 32767 * 2 * math.Pi * hz / audio.SampleRate
		f := mix[19*audio.FrameLen : 22*audio.FrameLen]
		for i := 2; i < len(f); i += 2 {
			if d := math.Abs(float64(f[i]) - float64(f[i-2])); d > 1.5*natural {
				t.Errorf("voices %d: the mix steps by %.0f at sample %d from tick 19; the tone moves by %.0f at most", voices, d, i/2, natural)
				break
			}
		}
		for _, v := range frame(22) {
			if v != 0 {
				t.Errorf("voices %d: tick 22 holds a sample %d, want silence", voices, v)
				break
			}
		}
	}
}
