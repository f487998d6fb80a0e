package mixer

import (
	"testing"
	"time"
)

// governSeconds feeds g a second of pictures at fps for each wall time
// given and returns the speed after each second.
func governSeconds(g *speedGovernor, fps, speed int, now *time.Time, walls ...time.Duration) []int {
	var speeds []int
	for _, wall := range walls {
		for range fps {
			*now = now.Add(time.Second / time.Duration(fps))
			speed, _ = g.observe(*now, wall, speed)
		}
		speeds = append(speeds, speed)
	}
	return speeds
}

// TestSpeedGovernorStepsBackToTheConfiguredSpeedExactly: configured
// speeds an odd number of steps from the strain speed (-speed -5,
// -strain-speed -12) come back to the configured speed, not a step past
// it to a slower one than the operator allowed.
func TestSpeedGovernorStepsBackToTheConfiguredSpeedExactly(t *testing.T) {
	const fps = 30
	interval := time.Second / fps
	g := newSpeedGovernor(-5, -12, fps)
	now := time.Now()
	speed := -5
	strained := governSeconds(g, fps, speed, &now, interval, interval, interval, interval)
	if speed = strained[len(strained)-1]; speed != -12 {
		t.Fatalf("after 4 s of strain: speed %d, want -12 (steps %v)", speed, strained)
	}
	walls := make([]time.Duration, 60)
	for i := range walls {
		walls[i] = interval / 10
	}
	for i, s := range governSeconds(g, fps, speed, &now, walls...) {
		if s > -5 {
			t.Fatalf("after %d s at ease: speed %d, slower than the configured -5", i+1, s)
		}
		speed = s
	}
	if speed != -5 {
		t.Errorf("after a minute at ease: speed %d, want the configured -5", speed)
	}
}

// TestSpeedGovernorStrainRestartsTheCalm: a second of strain restarts
// the count of calm seconds: the step it took is not given back after a
// single calm second (nine calm ones had come before it), which would
// swing the speed back and forth on a machine near its limit.
func TestSpeedGovernorStrainRestartsTheCalm(t *testing.T) {
	const fps = 30
	interval := time.Second / fps
	easy, strained := interval/5, interval*7/10
	g := newSpeedGovernor(-6, -12, fps)
	now := time.Now()
	walls := []time.Duration{strained} // -8
	for range 9 {
		walls = append(walls, easy)
	}
	walls = append(walls, strained) // -10
	for range 9 {
		walls = append(walls, easy)
	}
	speeds := governSeconds(g, fps, -6, &now, walls...)
	if got := speeds[len(speeds)-1]; got != -10 {
		t.Errorf("strain, 9 s calm, strain, 9 s calm: speed %d, want -10 (no step back before 10 calm seconds in a row); speeds %v", got, speeds)
	}
}

// TestSpeedGovernorNearlyEasyIsNotEasy: encode times at 35 % of the
// frame interval are not calm enough to step back: a step slower costs
// ~20 % more, about 42 % of the interval, too near strain.
func TestSpeedGovernorNearlyEasyIsNotEasy(t *testing.T) {
	const fps = 30
	interval := time.Second / fps
	g := newSpeedGovernor(-6, -12, fps)
	now := time.Now()
	walls := []time.Duration{interval * 7 / 10}
	for range 15 {
		walls = append(walls, interval*35/100)
	}
	speeds := governSeconds(g, fps, -6, &now, walls...)
	if got := speeds[len(speeds)-1]; got != -8 {
		t.Errorf("15 s at 35 %% of the interval after a strain: speed %d, want -8 (no step back); speeds %v", got, speeds)
	}
}
