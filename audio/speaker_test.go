package audio

import (
	"errors"
	"math"
	"testing"
	"time"
)

// Levels of the speaker scripts, in dBFS.
const (
	talk  = -20.0
	shout = -10.0
	quiet = SilenceDBFS
)

var vacant = math.NaN()

// phase is a stretch of identical frames in a speaker script.
type phase struct {
	frames int
	levels []float64 // per slot, for every frame of the phase
	during int       // speaker required on every frame of the phase (−2: no check)
	after  int       // speaker required after the last frame
}

// speakerScripts are conversations with the speaker expected at each step;
// they also seed FuzzSpeakerDetector. Slot 0 is A, slot 1 is B, slot 2 is C.
var speakerScripts = []struct {
	name   string
	phases []phase
}{
	{
		name: "short interruption keeps A",
		phases: []phase{
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 10, levels: []float64{talk, shout}, during: 0, after: 0},
			{frames: 100, levels: []float64{talk, quiet}, during: 0, after: 0},
		},
	},
	{
		name: "long interruption hands over to B, silence keeps B",
		phases: []phase{
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
			// B's average needs 8 frames to get 6 dB above A's, then it
			// must stay there for the 30 frames of the hold: the 37th frame
			// hands over.
			{frames: 36, levels: []float64{talk, shout}, during: 0, after: 0},
			{frames: 1, levels: []float64{talk, shout}, during: 1, after: 1},
			{frames: 10, levels: []float64{talk, shout}, during: 1, after: 1},
			{frames: 500, levels: []float64{quiet, quiet}, during: 1, after: 1},
		},
	},
	{
		name: "louder by less than the margin keeps A",
		phases: []phase{
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 300, levels: []float64{talk, talk + 5}, during: 0, after: 0},
		},
	},
	{
		name: "below the floor nobody speaks",
		phases: []phase{
			{frames: 200, levels: []float64{-60, -70, quiet}, during: -1, after: -1},
			{frames: 1, levels: []float64{talk, -70, quiet}, during: 0, after: 0},
		},
	},
	{
		name: "speaker's slot removed, A still audible",
		phases: []phase{
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 60, levels: []float64{talk, shout}, during: -2, after: 1},
			{frames: 1, levels: []float64{talk}, during: 0, after: 0},
		},
	},
	{
		name: "speaker's slot removed after everyone fell silent",
		phases: []phase{
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 60, levels: []float64{talk, shout}, during: -2, after: 1},
			{frames: 300, levels: []float64{quiet, quiet}, during: 1, after: 1},
			{frames: 5, levels: []float64{quiet}, during: -1, after: -1},
			{frames: 5, levels: nil, during: -1, after: -1},
		},
	},
	{
		name: "vacant speaker slot hands over at once",
		phases: []phase{
			{frames: 50, levels: []float64{quiet, talk, talk - 10}, during: 1, after: 1},
			{frames: 1, levels: []float64{quiet, vacant, talk - 10}, during: 2, after: 2},
			{frames: 100, levels: []float64{quiet, talk, talk - 10}, during: -2, after: 1},
		},
	},
	{
		name: "slots added later",
		phases: []phase{
			{frames: 20, levels: []float64{talk}, during: 0, after: 0},
			{frames: 20, levels: []float64{talk, quiet, quiet, quiet}, during: 0, after: 0},
			{frames: 60, levels: []float64{talk, quiet, quiet, shout}, during: -2, after: 3},
		},
	},
	{
		// A pauses 1.5 s; B coughs (100 ms) in the pause. The cough's
		// average fades for longer than the hold, above A's, but B was
		// sounding in few of those frames.
		name: "a cough in the speaker's pause keeps A",
		phases: []phase{
			{frames: 100, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 75, levels: []float64{quiet, quiet}, during: 0, after: 0},
			{frames: 5, levels: []float64{quiet, talk}, during: 0, after: 0},
			{frames: 100, levels: []float64{quiet, quiet}, during: 0, after: 0},
			{frames: 50, levels: []float64{talk, quiet}, during: 0, after: 0},
		},
	},
	{
		// B coughs in A's pause, then starts talking while the cough's
		// average is still above A's: what counts is B's last hold, in
		// which it talks, not the cough's silent tail before it.
		name: "the cougher who then talks takes over within a second",
		phases: append([]phase{{frames: 100, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 75, levels: []float64{quiet, quiet}, during: 0, after: 0},
			{frames: 5, levels: []float64{quiet, talk}, during: 0, after: 0},
			{frames: 20, levels: []float64{quiet, quiet}, during: 0, after: 0}},
			words(5, []float64{quiet, talk}, []float64{quiet, quiet}, 1)...),
	},
	{
		// B talks in words, 140 ms of sound and 60 ms of pause, while A
		// is silent: B takes over.
		name: "a talker between the pauses of their words takes over",
		phases: append([]phase{{frames: 100, levels: []float64{talk, quiet}, during: 0, after: 0},
			{frames: 50, levels: []float64{quiet, quiet}, during: 0, after: 0}},
			words(12, []float64{quiet, talk}, []float64{quiet, quiet}, 1)...),
	},
	{
		name: "two challengers, the louder wins",
		phases: []phase{
			{frames: 50, levels: []float64{-40, quiet, quiet}, during: -2, after: 0},
			{frames: 60, levels: []float64{-40, shout, talk}, during: -2, after: 1},
		},
	},
}

// words is n words of 7 frames of sound (levels) and 3 of pause, with no
// check of the speaker until the last, whose speaker must be after.
func words(n int, sound, pause []float64, after int) []phase {
	var ps []phase
	for range n {
		ps = append(ps, phase{frames: 7, levels: sound, during: -2, after: -2}, phase{frames: 3, levels: pause, during: -2, after: -2})
	}
	ps[len(ps)-1].after = after
	return ps
}

func TestSpeakerDetectorScripts(t *testing.T) {
	for _, tt := range speakerScripts {
		t.Run(tt.name, func(t *testing.T) {
			d := NewSpeakerDetector(DefaultSpeakerConfig())
			frame := 0
			for p, ph := range tt.phases {
				got := d.Speaker()
				for range ph.frames {
					got = d.Update(ph.levels)
					if ph.during != -2 && got != ph.during {
						t.Fatalf("phase %d, frame %d: speaker %d, want %d", p, frame, got, ph.during)
					}
					frame++
				}
				if ph.after != -2 && got != ph.after {
					t.Fatalf("after phase %d: speaker %d, want %d", p, got, ph.after)
				}
			}
		})
	}
}

// TestSpeakerHoldIsCounted checks the takeover frame: B, instantly loud
// enough, must wait exactly Hold.
func TestSpeakerHoldIsCounted(t *testing.T) {
	tests := []struct {
		name string
		hold time.Duration
		want int // frames of B at full level before it takes over
	}{
		{"default 600 ms", 0, 30},
		{"100 ms", 100 * time.Millisecond, 5},
		{"rounded up to whole frames", 30 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A very short smoothing makes B's level jump at once.
			d := NewSpeakerDetector(SpeakerConfig{Smoothing: time.Millisecond, Hold: tt.hold})
			d.Update([]float64{talk, quiet})
			for n := 1; ; n++ {
				if got := d.Update([]float64{talk, shout}); got == 1 {
					if n != tt.want {
						t.Fatalf("B took over after %d frames, want %d", n, tt.want)
					}
					return
				}
				if n > tt.want {
					t.Fatalf("B still not the speaker after %d frames", n)
				}
			}
		})
	}
}

func TestSpeakerForget(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	for range 20 {
		d.Update([]float64{quiet, talk})
	}
	d.Forget(1)
	d.Forget(7) // out of range: ignored
	d.Forget(-1)
	if got := d.Speaker(); got != -1 {
		t.Fatalf("speaker %d after Forget, want -1", got)
	}
	if got := d.Smoothed(1); got != SilenceDBFS {
		t.Fatalf("Smoothed(1) = %v after Forget, want silence", got)
	}
	if got := d.Update([]float64{quiet, talk}); got != 1 {
		t.Fatalf("speaker %d, want 1", got)
	}
	// The speaker leaves while another is audible: they take over at
	// once, not at the next Update.
	for range 50 {
		d.Update([]float64{talk - 10, shout})
	}
	d.Forget(1)
	if got := d.Speaker(); got != 0 {
		t.Fatalf("speaker %d after the speaker's slot was forgotten, want the other, audible", got)
	}
}

func TestSpeakerSmoothed(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	for range 200 { // 4 s, over 13 time constants
		d.Update([]float64{talk, quiet})
	}
	tests := []struct {
		name string
		slot int
		want float64
	}{
		{"steady talker", 0, talk},
		{"silent slot", 1, SilenceDBFS},
		{"unknown slot", 5, SilenceDBFS},
		{"negative slot", -1, SilenceDBFS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Smoothed(tt.slot); math.Abs(got-tt.want) > 0.01 {
				t.Fatalf("Smoothed(%d) = %v, want %v", tt.slot, got, tt.want)
			}
		})
	}
}

func TestSpeakerConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  SpeakerConfig
		ok   bool
	}{
		{"zero value means defaults", SpeakerConfig{}, true},
		{"defaults", DefaultSpeakerConfig(), true},
		{"negative smoothing", SpeakerConfig{Smoothing: -time.Second}, false},
		{"floor at silence", SpeakerConfig{Floor: SilenceDBFS}, false},
		{"positive floor", SpeakerConfig{Floor: 3}, false},
		{"NaN floor", SpeakerConfig{Floor: math.NaN()}, false},
		{"negative margin", SpeakerConfig{Margin: -1}, false},
		{"huge margin", SpeakerConfig{Margin: 100}, false},
		{"negative hold", SpeakerConfig{Hold: -time.Second}, false},
		{"one-frame hold", SpeakerConfig{Hold: FrameDuration}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

func TestSpeakerNoAllocs(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	levels := make([]float64, 25)
	d.Update(levels)
	if n := testing.AllocsPerRun(20, func() { d.Update(levels) }); n != 0 {
		t.Fatalf("Update allocates %v times per frame", n)
	}
}

// TestSpeakerHalfVoicedKeepsA: in A's pause, B sounds in 5 frames of
// every 10 for 4 s, its average 6 dB above A's for most of it, yet is never
// sounding in most (60 %) of its last Hold, so A keeps the role.
func TestSpeakerHalfVoicedKeepsA(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	for range 100 {
		d.Update([]float64{talk, quiet})
	}
	run, longest := 0, 0 // frames in a row with B's average the margin above A's
	for n := range 200 {
		b := quiet
		if n%10 < 5 {
			b = talk
		}
		if got := d.Update([]float64{quiet, b}); got != 0 {
			t.Fatalf("frame %d of the pause: speaker %d, want A (0)", n, got)
		}
		if run++; d.Smoothed(1)-d.Smoothed(0) < defaultMargin {
			run = 0
		}
		longest = max(longest, run)
	}
	// B beats A by the margin without a break for far longer than Hold
	// (30 frames), so only the voicing rule keeps A.
	if longest < 150 {
		t.Fatalf("B's average beat A's by the margin for %d frames in a row, want ≥ 150 (the script no longer tests voicing)", longest)
	}
}
