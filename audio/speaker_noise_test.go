package audio

import (
	"math"
	"math/rand/v2"
	"testing"
)

// speech returns the level of a talker at frame f: syllables of 200 ms at
// level, and between them 100 ms down at floor (their room's noise, or
// silence), as words leave pauses.
func speech(f int, level, floor float64) float64 {
	if f%15 < 10 {
		return level
	}
	return floor
}

// hum returns a steady noise at level, each frame within a decibel of it,
// as a fan or a mains hum near a microphone reads.
func hum(rng *rand.Rand, level float64) float64 {
	return level + 2*rng.Float64() - 1
}

// TestSpeakerSteadyNoiseDoesNotTakeTheRole: a participant whose
// microphone picks up a steady fan, well above the floor, never takes the
// role from a talker who paused, however long the pause; the talker keeps
// it, as when everyone is silent. Without each slot's own noise floor the
// fan took the role about two seconds into the pause.
func TestSpeakerSteadyNoiseDoesNotTakeTheRole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	f := 0
	for ; f < 500; f++ { // 10 s of talk, the fan running all along
		d.Update([]float64{speech(f, talk, quiet), hum(rng, -38), quiet})
	}
	if s := d.Speaker(); s != 0 {
		t.Fatalf("after 10 s of talk beside a fan: speaker %d, want the talker, 0", s)
	}
	for end := f + 1500; f < end; f++ { // 30 s in which only the fan sounds
		if s := d.Update([]float64{quiet, hum(rng, -38), quiet}); s != 0 {
			t.Fatalf("%.2f s into the talker's pause the fan's slot took the role (speaker %d)", float64(f-500)*FrameDuration.Seconds(), s)
		}
	}
}

// TestSpeakerTalkerInNoiseTakesTheRole: a talker in a noisy room (their
// own fan at −40 dBFS, speech 20 dB above it) still takes the role from a
// speaker who stopped, in about the time it takes in a quiet room, also
// after the fan has been running long enough to be their noise floor.
func TestSpeakerTalkerInNoiseTakesTheRole(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	f := 0
	for ; f < 1000; f++ { // 20 s: the first talks, the second's fan runs
		d.Update([]float64{speech(f, talk, quiet), hum(rng, -40), quiet})
	}
	start := f
	for ; f < start+200; f++ { // the first is silent, the second talks over their fan
		if d.Update([]float64{quiet, speech(f, -20, hum(rng, -40)), quiet}) == 1 {
			break
		}
	}
	took := f - start
	if d.Speaker() != 1 {
		t.Fatalf("a talker over their fan did not take the role in %d frames", took)
	}
	if took > 3*d.hold {
		t.Errorf("a talker over their fan took %d frames to take the role, want at most %d", took, 3*d.hold)
	}
}

// TestSpeakerNoiseFloorFollowsQuietestFrames: a slot's noise floor drops
// to a quieter frame at once and rises speakerNoiseRise dB a second over
// louder ones, from its lowest, speakerAboveNoise under the floor, where a
// new slot's starts.
func TestSpeakerNoiseFloorFollowsQuietestFrames(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	lowest := defaultFloor - speakerAboveNoise
	runFrames(d, 1, -30.0)
	if got := powerToDB(d.slots[0].noise); got < lowest-0.01 || got > lowest+0.01 {
		t.Errorf("after a first frame at -30 dBFS the noise floor is %.2f dBFS, want its lowest, %.2f", got, lowest)
	}
	runFrames(d, 50, -30.0) // one second more
	if got, want := powerToDB(d.slots[0].noise), lowest+speakerNoiseRise; got < want-0.01 || got > want+0.01 {
		t.Errorf("a second above it raised the noise floor to %.2f dBFS, want %.2f", got, want)
	}
	quieter := lowest + speakerNoiseRise/2
	runFrames(d, 1, quieter)
	if got := powerToDB(d.slots[0].noise); got < quieter-0.01 || got > quieter+0.01 {
		t.Errorf("after a quieter frame, at %.2f dBFS, the noise floor is %.2f dBFS, want that", quieter, got)
	}
	runFrames(d, 1, quiet)
	if got, want := powerToDB(d.slots[0].noise), defaultFloor-speakerAboveNoise; got < want-0.01 || got > want+0.01 {
		t.Errorf("after a silent frame the noise floor is %.2f dBFS, want its lowest, %.2f", got, want)
	}
}

// TestSpeakerTalkersWhoseLevelSwingsLittle: talkers whose level swings
// little still take the role from a speaker who fell silent: speech 8 dB
// over the steady noise of their room, and a loud talker squeezed by a
// compressor to 8 dB between syllables and the gaps between them.
func TestSpeakerTalkersWhoseLevelSwingsLittle(t *testing.T) {
	// Four syllables a second.
	inNoise := func(f int) float64 { // |sin| envelope peaking 8 dB over the noise
		env := math.Abs(math.Sin(math.Pi * 4 * float64(f) * FrameDuration.Seconds()))
		return 10 * math.Log10(math.Pow(10, (-20+20*math.Log10(env))/10)+math.Pow(10, -28.0/10))
	}
	squeezed := func(f int) float64 { // -12 dBFS at the peaks, 8 dB lower between
		return -16 + 4*math.Sin(2*math.Pi*4*float64(f)*FrameDuration.Seconds())
	}
	for name, talker := range map[string]func(int) float64{"8 dB over their noise": inNoise, "compressed to 8 dB": squeezed} {
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		f := 0
		for ; f < 500; f++ { // 10 s: the first speaks, louder, and the second
			d.Update([]float64{-6, talker(f)})
		}
		if d.Speaker() != 0 {
			t.Fatalf("%s: the talker took the role from a louder one", name)
		}
		start := f
		for ; f < start+250 && d.Speaker() != 1; f++ { // the first falls silent
			d.Update([]float64{quiet, talker(f)})
		}
		if d.Speaker() != 1 {
			t.Errorf("%s: the talker did not take the role in 5 s of the speaker's silence", name)
		} else {
			t.Logf("%s: took the role after %d frames", name, f-start)
		}
	}
}
