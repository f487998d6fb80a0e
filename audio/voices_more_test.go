package audio

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestVoicesEqualHugeLevelsTerminate: Update must return for any
// levels. Two equal levels so large that level+VoiceMargin == level (or
// +Inf) make "out < weakest+Margin" false for equals, and the two swap
// places for ever.
func TestVoicesEqualHugeLevelsTerminate(t *testing.T) {
	for _, lv := range []float64{math.Inf(1), 1e300, 1e17} {
		done := make(chan []bool, 1)
		go func() {
			v := Voices{Max: 1}
			done <- slices.Clone(v.Update([]float64{lv, lv}, nil))
		}()
		select {
		case got := <-done:
			t.Logf("level %v: %v", lv, got)
		case <-time.After(2 * time.Second):
			t.Errorf("Voices{Max:1}.Update([%v %v]) did not return in 2 s: endless swap", lv, lv)
		}
	}
}

// TestVoicesForgetLastSlot: Forget of the highest slot takes it out
// too (a newcomer given it competes like anyone else).
func TestVoicesForgetLastSlot(t *testing.T) {
	v := Voices{Max: 1}
	v.Update([]float64{-40, -20}, nil)
	v.Forget(1)
	if got := v.Update([]float64{-30, -33}, nil); !slices.Equal(got, []bool{true, false}) {
		t.Errorf("after the last slot was forgotten: %v, want slot 0 (the loudest waiting) alone", got)
	}
}
