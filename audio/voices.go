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
// its place. But a voice whose own frames have all been under Floor for
// VoiceIdle (someone who stopped talking, not one pausing between words)
// gives its place to a slot outside that is sounding and louder than it,
// without the margin: the smoothed level of a voice that stopped takes
// seconds to fall under Floor, and meanwhile who answers would be in no
// mix (after four people laugh together, the next to speak was heard
// 480 ms late). A silent slot outside the mix takes no place from
// another. Slots are indices, stable, as SpeakerDetector's.
//
// The zero Voices, and one whose Max is 0 or less, takes every slot at
// or above Floor. A Voices is not safe for concurrent use.
type Voices struct {
	// Max is how many voices a mix takes; 0 or less: all.
	Max   int
	in    []bool
	quiet []int // by slot: its frames in a row under Floor
}

// The levels that decide a place.
const (
	// VoiceFloor is the smoothed level (dBFS) under which a voice holds
	// no place: quieter than a quiet room's noise.
	VoiceFloor = -60.0
	// VoiceMargin is how much louder (dB) than a voice in the mix one
	// outside must be to take its place.
	VoiceMargin = 6.0
	// VoiceIdle is how long (in 20 ms frames: 200 ms) a voice's own
	// frames must have been under VoiceFloor for it to give its place to
	// one sounding: longer than the pauses between words (100-200 ms).
	VoiceIdle = 10
)

// Forget takes slot out of the mix, for when its participant leaves: a
// newcomer given the slot competes for a place like anyone else, and the
// place goes to the loudest waiting.
func (v *Voices) Forget(slot int) {
	if slot >= 0 && slot < len(v.in) {
		v.in[slot] = false
		v.quiet[slot] = 0
	}
}

// Update takes the smoothed levels by slot (dBFS; NaN or SilenceDBFS for
// a vacant slot) and this frame's own levels, as Level gives them (nil:
// not known, every slot taken as sounding), and returns, by slot,
// whether each is in the mix. The slice returned is the Voices' own,
// valid until the next call.
func (v *Voices) Update(levels, frame []float64) []bool {
	for len(v.in) < len(levels) {
		v.in, v.quiet = append(v.in, false), append(v.quiet, 0)
	}
	v.in, v.quiet = v.in[:len(levels)], v.quiet[:len(levels)]
	for i := range v.quiet {
		v.quiet[i]++
		if frame == nil || i < len(frame) && frame[i] >= VoiceFloor {
			v.quiet[i] = 0
		}
	}
	audible := func(i int) bool { return !math.IsNaN(levels[i]) && levels[i] >= VoiceFloor }
	idle := func(i int) bool { return v.quiet[i] >= VoiceIdle }
	n := 0
	for i := range v.in {
		v.in[i] = v.in[i] && audible(i)
		if v.in[i] {
			n++
		}
	}
	// Each swap raises the sum of the levels inside, and a voice that gave
	// its place for being silent takes none back: the loop ends.
	for {
		full := v.Max > 0 && n >= v.Max
		out := -1 // the loudest audible slot outside (sounding, if the mix is full)
		for i := range v.in {
			if !v.in[i] && audible(i) && !(full && idle(i)) && (out < 0 || levels[i] > levels[out]) {
				out = i
			}
		}
		if out < 0 {
			break
		}
		if !full {
			v.in[out] = true
			n++
			continue
		}
		// The weakest inside, and the one silent the longest (of those
		// silent for VoiceIdle; the weakest of them if alike): a talker
		// pausing between words gives no place while someone who has not
		// talked for seconds (a fan, whose level may be above the talker's)
		// holds one.
		weakest, silent := -1, -1
		for i := range v.in {
			if !v.in[i] {
				continue
			}
			if weakest < 0 || levels[i] < levels[weakest] {
				weakest = i
			}
			if idle(i) && (silent < 0 || v.quiet[i] > v.quiet[silent] || v.quiet[i] == v.quiet[silent] && levels[i] < levels[silent]) {
				silent = i
			}
		}
		switch {
		case silent >= 0 && (levels[out] > levels[silent] || levels[out]-levels[weakest] >= VoiceMargin):
			weakest = silent // rather than a voice that talks
		case !(levels[out]-levels[weakest] >= VoiceMargin): // not NaN for equal huge levels
			return v.in
		}
		v.in[weakest], v.in[out] = false, true
	}
	return v.in
}
