package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// TestShareEndingAsItSoundsLeftOutOfItsOwnersMix: a share silent for
// longer than the hangover whose sound starts in the very tick it ends
// (its fade-out frame) is left out of its quiet owner's mix too.
func TestShareEndingAsItSoundsLeftOutOfItsOwnersMix(t *testing.T) {
	const amp, hz = 0.3, 700
	const leaveAt = 100 // 2 s: past the join's hangover
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "ann", MixMinus: true})
	m.Add(Participant{ID: "ann-screen", Audio: &quietThenTone{from: leaveAt * audio.FrameDuration, tone: toneSource{hz: hz, amp: amp}}, Owner: "ann"})
	m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: 0.063}, MixMinus: true})
	audioTicks(t, m, leaveAt+6, func(tick int) {
		if tick == leaveAt {
			m.Remove("ann-screen")
		}
	})
	window := func(frames []codec.EncodedFrame) []int16 { return aroundTick(t, frames, leaveAt) }
	if a := goertzel(window(out.minus["bob"]), 0, hz); a < amp/20 {
		t.Fatalf("bob hears the share's last frame at %.4f, want it (the test is wrong)", a)
	}
	if a := goertzel(window(out.minus["ann"]), 0, hz); a > amp/300 {
		t.Errorf("ann hears her share's sound at %.4f as it ends, want none", a)
	}
}

// quietThenTone sends silence (frames of zeros) until from, then its tone.
type quietThenTone struct {
	from time.Duration
	tone toneSource
}

func (s *quietThenTone) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t < s.from {
		clear(pcm)
		return true, nil
	}
	return s.tone.AudioAt(ctx, t, pcm)
}
