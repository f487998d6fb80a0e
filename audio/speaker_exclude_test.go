package audio

import (
	"math"
	"testing"
)

// TestSpeakerExclude: an excluded slot (a shared screen's sound) never
// takes the role, neither when nobody has it nor from a talker, however
// loud it is, while its level is still followed; excluded while it holds
// the role, it passes it at once to the loudest other; the exclusion
// lasts through Forget; let back in, it takes the role as anyone would.
func TestSpeakerExclude(t *testing.T) {
	d := NewSpeakerDetector(DefaultSpeakerConfig())
	d.Exclude(1, true) // before its first frame: the slot is made
	d.Exclude(-1, true)
	for range 100 {
		if got := d.Update([]float64{quiet, shout}); got != -1 {
			t.Fatalf("speaker %d with only the excluded slot sounding, want nobody", got)
		}
	}
	if got := d.Smoothed(1); math.Abs(got-shout) > 0.5 {
		t.Errorf("the excluded slot's level %v, want it followed (%v)", got, shout)
	}
	if got := d.Update([]float64{talk, shout}); got != 0 {
		t.Fatalf("speaker %d once slot 0 talks, want 0: the excluded slot is louder but no one", got)
	}
	for range 200 { // far beyond Hold and Margin
		if got := d.Update([]float64{talk - 10, shout}); got != 0 {
			t.Fatalf("the excluded slot took the role (%d) from a quieter talker", got)
		}
	}

	// Forget keeps the exclusion.
	d.Forget(1)
	for range 100 {
		if got := d.Update([]float64{quiet, shout}); got != 0 {
			t.Fatalf("speaker %d after Forget of the excluded slot, want 0 still", got)
		}
	}

	// Let back in, it challenges as anyone: louder for Hold, it takes
	// over.
	d.Exclude(1, false)
	took := false
	for range 100 {
		if d.Update([]float64{talk - 10, shout}) == 1 {
			took = true
			break
		}
	}
	if !took {
		t.Fatal("slot 1, let back in and far louder, never took the role")
	}

	// Excluded while it holds the role: the loudest other has it at once.
	d.Exclude(1, true)
	if got := d.Speaker(); got != 0 {
		t.Fatalf("speaker %d after the speaker was excluded, want the other talker", got)
	}
	// With nobody else audible, nobody.
	d2 := NewSpeakerDetector(DefaultSpeakerConfig())
	for range 20 {
		d2.Update([]float64{quiet, talk})
	}
	d2.Exclude(1, true)
	if got := d2.Speaker(); got != -1 {
		t.Fatalf("speaker %d after the only one audible was excluded, want nobody", got)
	}
}
