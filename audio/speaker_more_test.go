package audio

import "testing"

func runFrames(d *SpeakerDetector, n int, levels ...float64) int {
	s := -2
	for range n {
		s = d.Update(levels)
	}
	return s
}

// TestSpeakerSameFrameLoudestWins: two challengers that start
// together qualify on the same frame: the louder takes the role.
func TestSpeakerSameFrameLoudestWins(t *testing.T) {
	for _, order := range [][2]float64{{-10, -4}, {-4, -10}} {
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		runFrames(d, 50, -40, quiet, quiet)
		s := runFrames(d, 40, -40, order[0], order[1])
		want := 1
		if order[1] > order[0] {
			want = 2
		}
		if s != want {
			t.Errorf("challengers at %v: speaker %d, want the louder, %d", order, s, want)
		}
	}
}

// TestSpeakerNewSpeakerKeepsTheRoleForHold: once B takes over, C,
// who had been challenging for longer than B had been speaker, must
// start its hold again rather than take over within a few frames.
func TestSpeakerNewSpeakerKeepsTheRoleForHold(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	runFrames(d, 50, -40, quiet, quiet)
	// B shouts first; C starts a bit later, and is 6 dB+ louder than B.
	runFrames(d, 10, -40, -16, quiet)
	changed := -1
	for f := range 200 {
		s := d.Update([]float64{-40, -16, -2})
		if s == 1 && changed < 0 {
			changed = f
		}
		if s == 2 {
			if changed >= 0 && f-changed < d.hold {
				t.Fatalf("C took over %d frames after B did, within the hold of %d", f-changed, d.hold)
			}
			t.Logf("B at frame %d, C at frame %d", changed, f)
			return
		}
	}
	t.Fatal("C never took over")
}

// TestSpeakerAverageUnderTheFloor: a challenger whose frames are
// just over the floor 60 % of the time, so that its average stays under
// the floor, never takes the role from a silent speaker.
func TestSpeakerAverageUnderTheFloor(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	runFrames(d, 50, talk, quiet)
	runFrames(d, 500, quiet, quiet) // A's average fades to nothing
	for f := range 1000 {
		lv := quiet
		if f%5 < 3 {
			lv = -49.5
		}
		if s := d.Update([]float64{quiet, lv}); s != 0 {
			t.Fatalf("frame %d: speaker %d with a smoothed level %.1f dBFS under the floor", f, s, d.Smoothed(1))
		}
	}
}
