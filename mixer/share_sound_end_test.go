package mixer

import (
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// TestShareEndingSilentlyNotTakenOutOfItsOwnersMix: a share whose sound
// stops in the very tick it leaves (its source has nothing more to play)
// has no part in that tick's mixes: its owner's mix does not take out
// what it held the tick before, which would be that frame of the share's
// sound, upside down, in the owner's ear.
func TestShareEndingSilentlyNotTakenOutOfItsOwnersMix(t *testing.T) {
	const amp, hz = 0.3, 700
	const leaveAt = 10
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "ann", Audio: &toneSource{hz: 440, amp: 0.063}, MixMinus: true})
	m.Add(Participant{ID: "ann-screen", Audio: &pausingTalker{from: leaveAt * audio.FrameDuration, to: time.Hour, tone: toneSource{hz: hz, amp: amp}}, Owner: "ann"})
	m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: 0.063}, MixMinus: true})
	audioTicks(t, m, leaveAt+6, func(tick int) {
		if tick == leaveAt {
			m.Remove("ann-screen")
		}
	})
	window := func(frames []codec.EncodedFrame) []int16 { return aroundTick(t, frames, leaveAt) }
	if a := goertzel(window(out.minus["ann"]), 0, hz); a > amp/300 {
		t.Errorf("ann hears her share's sound at %.4f as it ends, want none", a)
	}
}
