package mixer

import (
	"testing"

	"mcu/audio"
	"mcu/codec"
)

// TestMutedAsTheySoundLeftOutOfTheirOwnMix: someone quiet for longer
// than the hangover (sharing the full mix's packets) whose sound starts
// in the very tick their mute fades it out hears none of that frame:
// their own mix leaves it out, as it leaves out their voice.
func TestMutedAsTheySoundLeftOutOfTheirOwnMix(t *testing.T) {
	const amp, hz = 0.3, 700
	const muteAt = 100 // 2 s: past the join's hangover
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "ann", Audio: &quietThenTone{from: muteAt * audio.FrameDuration, tone: toneSource{hz: hz, amp: amp}}, MixMinus: true})
	m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: 0.063}, MixMinus: true})
	audioTicks(t, m, muteAt+6, func(tick int) {
		if tick == muteAt {
			m.SetMuted("ann", true)
		}
	})
	window := func(frames []codec.EncodedFrame) []int16 { return aroundTick(t, frames, muteAt) }
	if a := goertzel(window(out.minus["bob"]), 0, hz); a < amp/20 {
		t.Fatalf("bob hears ann's faded frame at %.4f, want it (the test is wrong)", a)
	}
	if a := goertzel(window(out.minus["ann"]), 0, hz); a > amp/300 {
		t.Errorf("ann hears her own sound at %.4f in the tick her mute faded it out, want none", a)
	}
}
