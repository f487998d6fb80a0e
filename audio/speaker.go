package audio

import (
	"fmt"
	"math"
	"math/bits"
)

// SpeakerDetector picks the active speaker among participant slots, one
// 20 ms frame at a time, from per-slot levels such as Level returns.
//
// Each slot's power is averaged exponentially (time constant Smoothing).
// When there is no speaker, the loudest slot at or above Floor becomes the
// speaker at once. Otherwise a challenger must be at or above Floor and at
// least Margin louder than the speaker for Hold without a break, sounding
// (its own frame at or above Floor, and above its noise floor, below) in
// most of those frames, as a talker
// is between the pauses of their words: the average's slowly fading tail
// of a cough or a click in the speaker's pause does not take the role.
// Its average must also stay speakerAboveNoise above its own noise floor,
// which follows the slot's quietest frames (it starts at its lowest,
// speakerAboveNoise under Floor, drops to a quieter frame at once and
// rises speakerNoiseRise a second): a talker's words rise well above the
// pauses between them, while a steady noise, such as a fan or a hum near
// someone's microphone, is its own floor within seconds and never takes
// the role from a talker who paused. If several qualify in the same frame
// the loudest wins. The speaker keeps the role when everyone falls
// silent.
//
// Slots are indices into the levels slice, which the caller keeps stable.
// The slice may grow or shrink between calls; a NaN level marks a vacant
// slot. When the speaker's slot goes away (beyond the new length, or NaN),
// the loudest slot at or above Floor takes over at once, or nobody (−1).
// A slot may be kept out of the role (Exclude): a shared screen's sound is
// heard, but it is nobody speaking.
//
// A SpeakerDetector is not safe for concurrent use. Update allocates only
// when the number of slots exceeds every earlier count.
type SpeakerDetector struct {
	alpha   float64 // per-frame weight of the new power in the average
	floor   float64 // Floor as a mean power (1 = 0 dBFS)
	quiet   float64 // the lowest a noise floor goes: speakerAboveNoise under floor
	above   float64 // speakerAboveNoise as a power ratio
	sounds  float64 // speakerSoundsAbove as a power ratio
	rise    float64 // a noise floor's rise in one frame, as a power ratio
	margin  float64 // Margin as a power ratio
	hold    int     // Hold in frames
	slots   []slotState
	speaker int
	// excluded: by slot number, those never to hold the role (Exclude),
	// whatever the levels' length and Forget.
	excluded []bool
}

// slotState is the detector's memory of one slot.
type slotState struct {
	power  float64 // smoothed mean power, 1 = 0 dBFS
	noise  float64 // the noise floor's mean power, following the quietest frames
	run    int     // consecutive frames this slot has beaten the speaker
	voiced uint64  // of those, the latest 64: bit 0 the last, set if the frame was sounding
}

// speakerVoiced is the share of a challenger's last Hold (at most 64
// frames, 1.28 s) in which it must be sounding itself: a talker's words
// leave pauses of 100-200 ms.
const speakerVoiced = 0.6

// A challenger's average must be speakerAboveNoise dB above its slot's
// noise floor. The floor rises speakerNoiseRise dB a second while the
// frames stay above it: a talker's pauses between words, a few hundred
// milliseconds apart, hold it down, while a steady sound (a tone, a fan)
// 30 dB above the quietest floor is taken for noise after about 9 s. Talk
// whose level swings little (8 dB over a room's noise, or squeezed by a
// compressor to 8 dB between syllables and their gaps) still averages
// over 4 dB above its troughs; a steady noise, a decibel or two.
//
// A frame sounds when it is also speakerSoundsAbove dB above that floor:
// talk squeezed to 8 dB still does in most frames, while a steady
// noise's frames, within a decibel or two of its floor, do not, so that
// a cough or a click over a noise louder than Floor, which lifts the
// average for a second, does not take the role either.
const (
	speakerAboveNoise  = 4.0
	speakerSoundsAbove = 2.0
	speakerNoiseRise   = 3.0
)

// NewSpeakerDetector returns a detector with no slots and no speaker. Zero
// fields of cfg take their defaults; NewSpeakerDetector panics if cfg fails
// Validate.
func NewSpeakerDetector(cfg SpeakerConfig) *SpeakerDetector {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("audio: NewSpeakerDetector: %v", err))
	}
	cfg = cfg.withDefaults()
	return &SpeakerDetector{
		alpha:   -math.Expm1(-FrameDuration.Seconds() / cfg.Smoothing.Seconds()),
		floor:   dbToPower(cfg.Floor),
		quiet:   dbToPower(cfg.Floor - speakerAboveNoise),
		above:   math.Pow(10, speakerAboveNoise/10),
		sounds:  math.Pow(10, speakerSoundsAbove/10),
		rise:    math.Pow(10, speakerNoiseRise*FrameDuration.Seconds()/10),
		margin:  math.Pow(10, cfg.Margin/10),
		hold:    cfg.holdFrames(),
		speaker: -1,
	}
}

// Speaker returns the current speaker's slot, or −1 for nobody.
func (d *SpeakerDetector) Speaker() int { return d.speaker }

// Smoothed returns a slot's smoothed level in dBFS (SilenceDBFS for an
// unknown slot), for metrics and the room state.
func (d *SpeakerDetector) Smoothed(slot int) float64 {
	if slot < 0 || slot >= len(d.slots) {
		return SilenceDBFS
	}
	return powerToDB(d.slots[slot].power)
}

// Forget clears a slot's history, for when its participant leaves or a
// new one takes it over. If the slot was the speaker, the loudest other
// slot at or above Floor takes over at once, or nobody (−1), as when a
// vacant slot goes to Update. Slots out of range are ignored.
func (d *SpeakerDetector) Forget(slot int) {
	if slot < 0 || slot >= len(d.slots) {
		return
	}
	d.slots[slot] = slotState{}
	if d.speaker == slot {
		d.speaker = d.loudest()
		d.resetRuns()
	}
}

// Exclude keeps slot out of the speaker role (out true) or lets it back
// in: its level is still followed (Smoothed, Noise), but it neither takes
// the role nor keeps it; a slot excluded while it holds the role passes it
// as Forget would. It holds until changed, through Forget and the levels'
// length: whoever takes the slot next is to be set anew. Negative slots
// are ignored.
func (d *SpeakerDetector) Exclude(slot int, out bool) {
	if slot < 0 {
		return
	}
	for len(d.excluded) <= slot {
		d.excluded = append(d.excluded, false)
	}
	d.excluded[slot] = out
	if out && d.speaker == slot {
		d.speaker = d.loudest()
		d.resetRuns()
	}
}

// Noise reports whether level, a slot's frame as Update took it last, is
// only that slot's steady noise: its noise floor has risen from its
// lowest (a fan, a hum that never stops) and the frame is not
// speakerSoundsAbove over it. Slots out of range are not.
func (d *SpeakerDetector) Noise(slot int, level float64) bool {
	if slot < 0 || slot >= len(d.slots) {
		return false
	}
	s := d.slots[slot]
	return s.noise > d.quiet && dbToPower(level) < s.noise*d.sounds
}

// Update takes one frame's level per slot in dBFS (values are clamped to
// [SilenceDBFS, 0]; NaN = vacant slot) and returns the speaker's slot, or
// −1 while nobody has spoken above Floor.
func (d *SpeakerDetector) Update(levels []float64) int {
	d.resize(len(levels))
	for i, lv := range levels {
		s := &d.slots[i]
		if math.IsNaN(lv) {
			d.Forget(i)
			continue
		}
		p := dbToPower(lv)
		s.power += d.alpha * (p - s.power)
		s.noise = max(d.quiet, min(p, s.noise*d.rise))
	}
	if d.speaker < 0 {
		d.speaker = d.loudest()
		d.resetRuns()
		return d.speaker
	}
	// A speaker whose average is back within speakerAboveNoise of its own
	// noise floor is not talking (a pause, or a steady noise that took the
	// role while nobody talked): a challenger who talks takes over without
	// the margin, as from a speaker fallen silent in a quiet room.
	sp := &d.slots[d.speaker]
	beat := sp.power * d.margin
	if sp.power < sp.noise*d.above {
		beat = 0
	}
	next := -1
	for i := range d.slots {
		s := &d.slots[i]
		if i == d.speaker || d.isExcluded(i) || s.power < d.floor || s.power < beat || s.power < s.noise*d.above {
			s.run, s.voiced = 0, 0
			continue
		}
		s.run++
		s.voiced <<= 1
		if p := dbToPower(levels[i]); p >= d.floor && p >= s.noise*d.sounds {
			s.voiced |= 1
		}
		if s.run >= d.hold && d.voicedEnough(s.voiced) && (next < 0 || s.power > d.slots[next].power) {
			next = i
		}
	}
	if next >= 0 {
		d.speaker = next
		d.resetRuns()
	}
	return d.speaker
}

// resize adapts the slot table to n slots, dropping the speaker if its slot
// is gone.
func (d *SpeakerDetector) resize(n int) {
	if n < len(d.slots) {
		if d.speaker >= n {
			d.speaker = -1
		}
		d.slots = d.slots[:n]
		return
	}
	for len(d.slots) < n {
		d.slots = append(d.slots, slotState{})
	}
}

// loudest returns the loudest slot at or above the floor, or −1; never
// an excluded one.
func (d *SpeakerDetector) loudest() int {
	best := -1
	for i, s := range d.slots {
		if !d.isExcluded(i) && s.power >= d.floor && (best < 0 || s.power > d.slots[best].power) {
			best = i
		}
	}
	return best
}

// isExcluded reports whether slot is kept out of the role (Exclude).
func (d *SpeakerDetector) isExcluded(slot int) bool {
	return slot < len(d.excluded) && d.excluded[slot]
}

// voicedEnough reports whether a challenger was sounding in enough of its
// last Hold (of its latest 64 frames, when Hold is longer).
func (d *SpeakerDetector) voicedEnough(voiced uint64) bool {
	window := min(d.hold, 64)
	if window < 64 {
		voiced &= 1<<window - 1
	}
	return float64(bits.OnesCount64(voiced)) >= speakerVoiced*float64(window)
}

// resetRuns restarts every challenger's count, after a change of speaker.
func (d *SpeakerDetector) resetRuns() {
	for i := range d.slots {
		d.slots[i].run, d.slots[i].voiced = 0, 0
	}
}

// dbToPower converts a dBFS level to mean power (1 = 0 dBFS), clamping it to
// [SilenceDBFS, 0] and mapping SilenceDBFS to exactly 0.
func dbToPower(db float64) float64 {
	if db <= SilenceDBFS {
		return 0
	}
	return math.Pow(10, min(db, 0)/10)
}

// powerToDB is the inverse of dbToPower.
func powerToDB(p float64) float64 {
	if p <= 0 {
		return SilenceDBFS
	}
	return max(SilenceDBFS, 10*math.Log10(p))
}
