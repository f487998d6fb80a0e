package mixer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"mcu/audio"
)

// speechDrift feeds a LiveAudio from a sender whose clock runs at rate,
// with up to jitter of network delay, sending talk (a 200 Hz tone at
// -12 dBFS) in 1.5 s spurts with 300 ms pauses of room noise (-50 dBFS)
// between, for dur. It counts the dry ticks that fell in talk (a frame
// of concealment in the middle of a word), the frames cut from talk, and
// the mean frames queued at a tick.
func speechDrift(rate float64, jitter, dur time.Duration) (dryTalk, cutTalk int, underruns, dropped, stretched uint64, meanQ float64) {
	a := NewLiveAudio()
	concealed := false
	a.Conceal = func(pcm []int16) bool { clear(pcm); concealed = true; return true }
	rng := rand.New(rand.NewPCG(1, 2))
	frame := audio.FrameDuration
	pcm := make([]int16, audio.FrameLen)
	talking := func(i int) bool { return i%90 < 75 }
	sendAt := func(i int) time.Duration {
		return 5*time.Millisecond + time.Duration(float64(i)*float64(frame)/rate)
	}
	var pending []time.Duration
	var sent []int // frame index of each pending
	next := 0
	lastArrival := time.Duration(0)
	var queuedIdx []int // frame indices queued in a, in order
	ticks := int(dur / frame)
	sumQ := 0
	for k := range ticks {
		now := time.Duration(k) * frame
		for sendAt(next) <= now {
			arr := max(sendAt(next)+time.Duration(rng.Int64N(int64(jitter)+1)), lastArrival)
			lastArrival = arr
			pending = append(pending, arr)
			sent = append(sent, next)
			next++
		}
		for len(pending) > 0 && pending[0] <= now {
			i := sent[0]
			f := make([]int16, audio.FrameLen)
			for s := 0; s < audio.FrameSamples; s++ {
				n := i*audio.FrameSamples + s
				v := 40 * (rng.Float64()*2 - 1)
				if talking(i) {
					v += 8000 * math.Sin(2*math.Pi*200*float64(n)/48000)
				}
				f[2*s], f[2*s+1] = int16(v), int16(v)
			}
			a.Push(f)
			queuedIdx = append(queuedIdx, i)
			pending, sent = pending[1:], sent[1:]
		}
		sumQ += len(a.frames)
		_, d0 := a.Stats()
		concealed = false
		lenBefore := len(a.frames)
		a.AudioAt(context.Background(), now, pcm)
		_, d1 := a.Stats()
		// which frame indices left the queue this tick
		gone := lenBefore - len(a.frames)
		if concealed && len(queuedIdx) > 0 && talking(queuedIdx[0]) {
			dryTalk++
		}
		if concealed && len(queuedIdx) == 0 && next > 0 && talking(next-1) {
			dryTalk++
		}
		for g := 0; g < gone && len(queuedIdx) > 0; g++ {
			if g < int(d1-d0) && talking(queuedIdx[0]) {
				cutTalk++
			}
			queuedIdx = queuedIdx[1:]
		}
	}
	underruns, dropped = a.Stats()
	stretched = a.Stretched()
	return dryTalk, cutTalk, underruns, dropped, stretched, float64(sumQ) / float64(ticks)
}

// TestSenderClockDriftMadeUpInPauses: a sender whose clock runs 0.1 %
// slow or fast, talking with pauses, for 5 minutes: its queue must get
// its frame back, or give one up, in the pauses, not by running dry in
// the middle of a word (a concealed frame every 20 s) or cutting one.
func TestSenderClockDriftMadeUpInPauses(t *testing.T) {
	for _, j := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond} {
		for _, rate := range []float64{0.999, 1.001} {
			t.Run(fmt.Sprint(j, rate), func(t *testing.T) {
				dry, cut, u, d, s, q := speechDrift(rate, j, 5*time.Minute)
				t.Logf("jitter %v rate %v: %d concealed frames in talk, %d frames of talk cut; underruns %d, dropped %d, stretched %d, mean queue %.2f frames", j, rate, dry, cut, u, d, s, q)
				if rate > 1 && cut > 2 {
					t.Errorf("%d frames cut from talk in 5 min, pauses 300 ms every 1.8 s: the fast clock is made up for in the middle of words", cut)
				}
				if rate < 1 && dry > 2 {
					t.Errorf("%d frames of talk concealed in 5 min: the slow clock is made up for in the middle of words", dry)
				}
			})
		}
	}
}

// TestBurstDuringPatientWaitDrainsSoon: a burst of frames (a packet held
// up, without the queue running dry) that comes while a single frame
// gained at a steady target waits its 5 s for a pause: the burst's delay
// goes as any burst's does (drainPatience, half a second), not waiting
// with the single frame.
func TestBurstDuringPatientWaitDrainsSoon(t *testing.T) {
	a := NewLiveAudio()
	n := 0
	loud := func() []int16 {
		f := make([]int16, audio.FrameLen)
		for s := 0; s < audio.FrameSamples; s++ {
			v := int16(8000 * math.Sin(2*math.Pi*200*float64(n)/48000))
			f[2*s], f[2*s+1] = v, v
			n++
		}
		return f
	}
	pcm := make([]int16, audio.FrameLen)
	tick := func() { a.Push(loud()); a.AudioAt(context.Background(), 0, pcm) }
	a.Push(loud())
	a.Push(loud())
	// Settle at the target (2): a second of steady sending.
	for range 100 {
		tick()
	}
	// The sender gains a frame (a fast clock): one more, steady for
	// two windows, until the queue counts it as patient.
	a.Push(loud())
	for range 2 * drainWindow {
		tick()
	}
	a.mu.Lock()
	patient, excess := a.patient, a.excess
	a.mu.Unlock()
	if !patient || excess != 1 {
		t.Fatalf("setup: patient %v excess %d, want a single frame waiting patiently", patient, excess)
	}
	// A burst: 6 frames held up by the network arrive together.
	for range 6 {
		a.Push(loud())
	}
	depth := func() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.frames) }
	ticks := 0
	for depth() > 3 && ticks < 400 {
		tick()
		ticks++
	}
	if d := time.Duration(ticks) * audio.FrameDuration; d > 1500*time.Millisecond {
		t.Errorf("a burst's 120 ms of delay took %v to drain (talk without pause), want about a second, as a burst that comes at another time", d)
	}
}
