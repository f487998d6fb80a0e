package mixer

import (
	"math"
	"testing"
	"time"

	"mcu/codec"
)

// TestShareSoundLeftOutOfItsOwnersMix: a share with its sound (a tab's)
// is heard by everyone but the participant sharing it (Participant.Owner),
// whose own mix leaves it out as it leaves out their voice: they would
// hear what they share come back late, an echo of it. The full mix (the
// viewers', the recording's) has every tone.
func TestShareSoundLeftOutOfItsOwnersMix(t *testing.T) {
	const amp = 0.063
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "ann", Audio: &toneSource{hz: 440, amp: amp}, MixMinus: true})
	m.Add(Participant{ID: "ann-screen", Audio: &toneSource{hz: 700, amp: amp}, Content: true, Owner: "ann"})
	m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: amp}, MixMinus: true})
	run(t, m, time.Second)
	hears := func(name string, frames []codec.EncodedFrame, want map[float64]bool) {
		t.Helper()
		pcm := decodeOpus(t, frames)
		tail := pcm[len(pcm)/2:]
		for hz, heard := range want {
			for ch := range 2 {
				a := goertzel(tail, ch, hz)
				switch {
				case heard && math.Abs(20*math.Log10(a/amp)) > 1:
					t.Errorf("%s: the %v Hz tone at %.4f in channel %d, want %.3f", name, hz, a, ch, amp)
				case !heard && a > amp/100:
					t.Errorf("%s: the %v Hz tone at %.4f in channel %d, want none", name, hz, a, ch)
				}
			}
		}
	}
	hears("the full mix", out.audio, map[float64]bool{440: true, 700: true, 1060: true})
	hears("ann's mix", out.minus["ann"], map[float64]bool{440: false, 700: false, 1060: true})
	hears("bob's mix", out.minus["bob"], map[float64]bool{440: true, 700: true, 1060: false})
}

// TestShareSoundOfAQuietOwner: someone silent who shares a tab's sound
// does not receive the full mix's packets (which hold the share), but a
// mix of their own without it, from the first frame of the share's sound;
// one sharing a silent screen goes on sharing the full mix's packets. The
// share sounds from 2 s on, past the hangover of 1.6 s that follows the
// join (TestMixMinusSharesQuiet).
func TestShareSoundOfAQuietOwner(t *testing.T) {
	const amp = 0.063
	for _, loud := range []bool{true, false} {
		shareAmp := 0.0 // a silent screen's sound
		if loud {
			shareAmp = amp
		}
		out := &capture{}
		m, _ := New(testConfig(), out)
		m.Add(Participant{ID: "ann", MixMinus: true})
		m.Add(Participant{ID: "ann-screen", Audio: &pausingTalker{to: 2 * time.Second, tone: toneSource{hz: 700, amp: shareAmp}}, Owner: "ann"})
		m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: amp}, MixMinus: true})
		run(t, m, 3*time.Second)
		full := map[time.Duration]string{}
		for _, f := range out.audio {
			full[f.PTS] = string(f.Data)
		}
		var from []codec.EncodedFrame
		shared := 0
		for _, f := range out.minus["ann"] {
			if f.PTS >= 2*time.Second {
				from = append(from, f)
				if full[f.PTS] == string(f.Data) {
					shared++
				}
			}
		}
		if loud && shared != 0 || !loud && shared != len(from) {
			t.Errorf("a share's sound loud %v: %d of ann's %d packets from its start are the full mix's", loud, shared, len(from))
		}
		if !loud {
			continue
		}
		pcm := decodeOpus(t, from)
		for ch := range 2 {
			if a := goertzel(pcm, ch, 700); a > amp/100 {
				t.Errorf("ann hears her share's tone at %.4f in channel %d", a, ch)
			}
			if a := goertzel(pcm[len(pcm)/4:], ch, 1060); math.Abs(20*math.Log10(a/amp)) > 1.5 {
				t.Errorf("ann hears bob at %.4f in channel %d, want %.3f", a, ch, amp)
			}
		}
	}
}

// TestShareSoundFadesOutOfOthersOnly: a share that ends while it sounds
// is faded out of the mixes over a frame (TestLeaverFadesOut); that last
// frame is left out of its owner's mix too, not a 20 ms burst of what
// they shared.
func TestShareSoundFadesOutOfOthersOnly(t *testing.T) {
	const amp, hz = 0.3, 700
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "ann", Audio: &toneSource{hz: 440, amp: 0.063}, MixMinus: true})
	m.Add(Participant{ID: "ann-screen", Audio: &toneSource{hz: hz, amp: amp}, Owner: "ann"})
	m.Add(Participant{ID: "bob", Audio: &toneSource{hz: 1060, amp: 0.063}, MixMinus: true})
	const leaveAt = 10
	audioTicks(t, m, 16, func(tick int) {
		if tick == leaveAt {
			m.Remove("ann-screen")
		}
	})
	window := func(frames []codec.EncodedFrame) []int16 { return aroundTick(t, frames, leaveAt) }
	if a := goertzel(window(out.minus["bob"]), 0, hz); a < amp/10 {
		t.Fatalf("bob hears the share's last frames at %.4f, want it (the test's window is wrong)", a)
	}
	if a := goertzel(window(out.minus["ann"]), 0, hz); a > amp/300 {
		t.Errorf("ann hears her share's sound at %.4f as it ends, want none", a)
	}
}
