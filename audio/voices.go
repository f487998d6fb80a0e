package audio

import "math"

// Voices chooses, one 20 ms frame at a time, whose sound goes into a mix
// that takes at most Max voices: the loudest, by a smoothed level per
// slot such as SpeakerDetector.Smoothed gives. Summed, every open
// microphone adds its room's noise (25 of them: the noise of one, 14 dB
// louder), and few people can be followed at once; libwebrtc's audio
// mixer takes at most 3 sources by default, the loudest.
//
// A place that is free goes at once to the loudest slot at or above
// Floor. A voice in the mix keeps its place until a slot outside is
// Margin louder than it (voices of equal levels never swap, and a cough
// in someone's pause does not take their place: the smoothing spreads
// it), or until it falls under Floor (inaudible in any mix), which frees
// its place. Slots are indices, stable, as SpeakerDetector's.
//
// The zero Voices, and one whose Max is 0 or less, takes every slot at
// or above Floor. A Voices is not safe for concurrent use.
type Voices struct {
	// Max is how many voices a mix takes; 0 or less: all.
	Max int
	in  []bool
}

// The levels that decide a place.
const (
	// VoiceFloor is the smoothed level (dBFS) under which a voice holds
	// no place: quieter than a quiet room's noise.
	VoiceFloor = -60.0
	// VoiceMargin is how much louder (dB) than a voice in the mix one
	// outside must be to take its place.
	VoiceMargin = 6.0
)

// Forget takes slot out of the mix, for when its participant leaves: a
// newcomer given the slot competes for a place like anyone else, and the
// place goes to the loudest waiting.
func (v *Voices) Forget(slot int) {
	if slot >= 0 && slot < len(v.in) {
		v.in[slot] = false
	}
}

// Update takes the smoothed levels by slot (dBFS; NaN or SilenceDBFS for
// a vacant slot) and returns, by slot, whether each is in the mix. The
// slice returned is the Voices' own, valid until the next call.
func (v *Voices) Update(levels []float64) []bool {
	for len(v.in) < len(levels) {
		v.in = append(v.in, false)
	}
	v.in = v.in[:len(levels)]
	audible := func(i int) bool { return !math.IsNaN(levels[i]) && levels[i] >= VoiceFloor }
	n := 0
	for i := range v.in {
		v.in[i] = v.in[i] && audible(i)
		if v.in[i] {
			n++
		}
	}
	for {
		out := -1 // the loudest audible slot outside
		for i := range v.in {
			if !v.in[i] && audible(i) && (out < 0 || levels[i] > levels[out]) {
				out = i
			}
		}
		if out < 0 {
			break
		}
		if v.Max <= 0 || n < v.Max {
			v.in[out] = true
			n++
			continue
		}
		weakest := -1
		for i := range v.in {
			if v.in[i] && (weakest < 0 || levels[i] < levels[weakest]) {
				weakest = i
			}
		}
		if levels[out] < levels[weakest]+VoiceMargin {
			break
		}
		v.in[weakest], v.in[out] = false, true
	}
	return v.in
}
