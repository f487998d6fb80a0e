package audio

import (
	"slices"
	"testing"
)

// TestVoicesPauseBetweenWordsKeepsPlace pins VoiceIdle's value in
// time, as the README states it: a voice in a full mix that pauses for
// 180 ms (9 frames; pauses between words are 100-200 ms) keeps its place
// although someone outside sounds louder than its fading level; after
// 200 ms (10 frames) of silence it gives way. TestVoicesSilentGiveWay
// loops VoiceIdle-1 times, so it passes for any VoiceIdle (1 too: a
// single lost packet would then cost a speaker their place).
func TestVoicesPauseBetweenWordsKeepsPlace(t *testing.T) {
	const s = SilenceDBFS
	v := Voices{Max: 1}
	step := func(smoothed, frame []float64) []bool { return slices.Clone(v.Update(smoothed, frame)) }
	step([]float64{-30, s}, []float64{-30, s})
	for i := range 9 {
		if got := step([]float64{-32, -31}, []float64{s, -30}); !slices.Equal(got, []bool{true, false}) {
			t.Fatalf("slot 0 paused for %d ms: %v, want it kept (a pause between words)", 20*(i+1), got)
		}
	}
	if got := step([]float64{-32, -31}, []float64{s, -30}); !slices.Equal(got, []bool{false, true}) {
		t.Fatalf("slot 0 silent for 200 ms, slot 1 sounding and louder: %v, want slot 1 in", got)
	}
}

// TestVoicesSilentOneGivesWayNotTheWeakest: with two places, the
// one that has been silent for VoiceIdle gives its place, not the
// weakest voice in the mix, which is still talking. (Max 1 and four equal
// voices, as the existing tests have it, cannot tell the two apart.)
func TestVoicesSilentOneGivesWayNotTheWeakest(t *testing.T) {
	const s = SilenceDBFS
	v := Voices{Max: 2}
	step := func(smoothed, frame []float64) []bool { return slices.Clone(v.Update(smoothed, frame)) }
	// a (slot 0) talks softly, b (slot 1) loudly, c (slot 2) is silent.
	for range 5 {
		step([]float64{-33, -26, s}, []float64{-33, -26, s})
	}
	// b stops; its fading level stays over a's. c starts, louder than
	// b's fading level but not by the margin over a.
	var got []bool
	for range VoiceIdle {
		got = step([]float64{-33, -30, -29}, []float64{-33, s, -29})
	}
	if !slices.Equal(got, []bool{true, false, true}) {
		t.Errorf("b silent for 200 ms, a still talking, c sounding over b's fading level: %v, want a and c in (b gives way, not a)", got)
	}
}

// TestVoicesMarginSwapSparesTheTalker: with two places, b has been
// silent for 200 ms (its fading level still high), a talks softly, c
// starts 10 dB over a but under b's fading level. c takes a place by the
// margin; the place should be silent b's, not talking a's.
func TestVoicesMarginSwapSparesTheTalker(t *testing.T) {
	const s = SilenceDBFS
	v := Voices{Max: 2}
	step := func(smoothed, frame []float64) []bool { return slices.Clone(v.Update(smoothed, frame)) }
	for range 5 {
		step([]float64{-40, -20, s}, []float64{-40, -20, s})
	}
	for range VoiceIdle {
		step([]float64{-40, -20, s}, []float64{-40, s, s})
	}
	got := step([]float64{-40, -21, -30}, []float64{-40, s, -30})
	if !slices.Equal(got, []bool{true, false, true}) {
		t.Errorf("b silent for 200 ms, a talking at -40, c starting at -30: %v, want a and c in (silent b gives the place)", got)
	}
}
