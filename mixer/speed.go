package mixer

import (
	"slices"
	"time"
)

// A live encoder whose pictures take too long for the frame interval
// makes the mix late for everyone: ticks find both canvases still held
// and compose nothing. That happens when the machine is short of CPU
// (more rooms than it can carry, other processes, a slow virtual CPU).
// libvpx's speed is fixed (a negative cpu-used: it never times itself),
// but a faster fixed speed costs less: on the busy 720p composite a third
// less CPU at −10 than at −6 for 1.6 dB less PSNR, half at −16 for 2.4 dB.
// So while the encoder is strained, its speed is stepped up, and once it
// has been at ease for a while, back down to the configured speed.
const (
	// strainedShare: over a second of pictures, the 90th percentile of
	// their encode times above this share of the frame interval is a
	// strain: the next picture waits for the encoder soon after.
	strainedShare = 0.6
	// easyShare: below this share for calmSeconds in a row, the encoder
	// can afford a slower, better speed. A step is ~20 % dearer, so the
	// encoder comes back from a step at most ~0.36 of the interval:
	// well under strainedShare, it does not swing back and forth.
	easyShare   = 0.3
	calmSeconds = 10
	// speedStep is how far one step moves cpu-used.
	speedStep = 2
)

// DefaultStrainSpeed is the live server's Config.StrainSpeed: the speed
// WebRTC gives libvpx on phones and other slow processors.
const DefaultStrainSpeed = -12

// FastestSpeed is the fastest speed a mixer of c steps its encoder to
// under strain, or 0 when its speed is fixed: offline, no StrainSpeed, or
// one no faster than Video.Speed.
func (c Config) FastestSpeed() int {
	if !c.Live || c.StrainSpeed == 0 || c.StrainSpeed >= c.Video.Speed {
		return 0
	}
	return c.StrainSpeed
}

// speedGovernor chooses the live encoder's speed from how long its
// pictures take (wall time, which grows when the encoder waits for a CPU,
// not only with the work). It is used by the encoder's goroutine alone.
type speedGovernor struct {
	base, fastest int           // the configured speed and the fastest allowed (more negative)
	interval      time.Duration // between two pictures
	window        []time.Duration
	opened        time.Time // when the window's first picture began
	calm          int       // windows in a row under easyShare
}

// newSpeedGovernor returns nil when there is no faster speed to go to.
func newSpeedGovernor(base, fastest, fps int) *speedGovernor {
	if fastest >= base || fps <= 0 {
		return nil
	}
	return &speedGovernor{base: base, fastest: fastest, interval: time.Second / time.Duration(fps),
		window: make([]time.Duration, 0, fps)}
}

// observe takes the encode time of a picture encoded at now, at speed,
// and returns the speed to encode the next one at; at the end of a
// window, also the 90th percentile of its pictures' times (else 0). A
// window is a second's worth of pictures at the frame rate, or what came
// in a second: an encoder far behind has fewer, and must not wait
// several seconds for relief.
func (g *speedGovernor) observe(now time.Time, wall time.Duration, speed int) (next int, p90 time.Duration) {
	if len(g.window) == 0 {
		g.opened = now.Add(-wall)
	}
	g.window = append(g.window, wall)
	if len(g.window) < cap(g.window) && now.Sub(g.opened) < time.Second {
		return speed, 0
	}
	slices.Sort(g.window)
	p90 = g.window[len(g.window)*9/10]
	g.window = g.window[:0]
	switch {
	case p90 > time.Duration(strainedShare*float64(g.interval)):
		g.calm = 0
		return max(speed-speedStep, g.fastest), p90
	case p90 < time.Duration(easyShare*float64(g.interval)):
		if g.calm++; g.calm >= calmSeconds && speed < g.base {
			g.calm = 0
			return min(speed+speedStep, g.base), p90
		}
	default:
		g.calm = 0
	}
	return speed, p90
}
