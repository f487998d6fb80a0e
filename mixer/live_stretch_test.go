package mixer

import (
	"context"
	"math"
	"testing"

	"mcu/audio"
)

// TestSlowSenderStretchesOnlyPauses: a sender whose clock runs slow (a
// frame short) gets its frame back by a frame played twice where nobody
// hears it: in a pause, its last frame and the next both quiet. Not the
// last frame of a word played again before a pause, nor a pause's frame
// played again into the start of the next word (a stutter), and not in
// a single quiet frame between two words.
func TestSlowSenderStretchesOnlyPauses(t *testing.T) {
	a := NewLiveAudio()
	frame := toneFrames()
	// Talk, a frame in eight quiet (a gap between words), then a pause
	// of 200 ms, then talk again; once through and once more.
	loud := func(tick int) bool {
		k := tick % 120
		return !(k >= 90 && k < 100) && k%8 != 7
	}
	a.Push(frame(true)) // with the first tick's, the start depth (2)
	pcm := make([]int16, audio.FrameLen)
	stretched := 0
	for tick := range 240 {
		if tick != 10 { // the sender's clock loses a frame
			a.Push(frame(loud(tick)))
		}
		before := a.Stretched()
		if ok, _ := a.AudioAt(context.Background(), 0, pcm); !ok {
			t.Fatalf("tick %d: nothing to play", tick)
		}
		if a.Stretched() == before {
			continue
		}
		stretched++
		if p := peak(pcm); p > quietPeak {
			t.Errorf("tick %d: a frame played twice with a peak of %d: talk stretched, not a pause", tick, p)
		}
	}
	if stretched == 0 {
		t.Error("the queue a frame short never got it back in the pauses")
	}
}

// TestSecondBurstWaitsForAPauseToo: each delay found waits its
// drainPatience for a pause before frames of talk are cut, also one
// found after an earlier delay was cut from talk (a long monologue): the
// second burst's frames go in the pause that comes 200 ms later, not
// from the middle of words.
func TestSecondBurstWaitsForAPauseToo(t *testing.T) {
	a := NewLiveAudio()
	frame := toneFrames()
	pcm := make([]int16, audio.FrameLen)
	tick := func(loud bool) { a.Push(frame(loud)); a.AudioAt(context.Background(), 0, pcm) }
	state := func() (depth, excess int) {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.frames), a.excess
	}
	a.Push(frame(true))
	for range 100 { // 2 s of talk at the start depth
		tick(true)
	}
	// A burst in a monologue: no pause comes, so after drainPatience its
	// frames are cut from the talk, one at a time.
	for range 3 {
		a.Push(frame(true))
	}
	for range 150 {
		tick(true)
	}
	if d, e := state(); d != 1 || e != 0 {
		t.Fatalf("setup: after 3 s of talk the first burst left %d frames queued after a tick (excess %d), want it drained to 1 (the target, 2, at each pop)", d, e)
	}
	// A second burst, still in talk.
	a.Push(frame(true))
	a.Push(frame(true))
	for k := 0; ; k++ {
		if _, e := state(); e > 0 {
			break
		}
		if k > 2*drainWindow {
			t.Fatal("setup: the second burst's delay not found")
		}
		tick(true)
	}
	_, cutBefore := a.Stats()
	for range 10 { // 200 ms more of talk, then a pause
		tick(true)
	}
	if _, cut := a.Stats(); cut != cutBefore {
		t.Errorf("%d frames cut from talk within 200 ms of the second burst's delay being found: it did not wait %d ticks for a pause", cut-cutBefore, drainPatience)
	}
	for range 15 {
		tick(false)
	}
	if d, _ := state(); d != 1 {
		t.Errorf("after the pause: %d frames queued after a tick, want the second burst's delay gone in it (1)", d)
	}
}

// toneFrames returns a sender's next 20 ms frame each call, of one
// continuous sound: a 200 Hz tone at 8000 when loud, a hiss of 40 (a
// pause, under quietPeak) when not.
func toneFrames() func(loud bool) []int16 {
	n := 0 // samples sent, for a continuous tone
	return func(loud bool) []int16 {
		f := make([]int16, audio.FrameLen)
		for s := range audio.FrameSamples {
			v := int16(40 * math.Sin(float64(n)))
			if loud {
				v = int16(8000 * math.Sin(2*math.Pi*200*float64(n)/48000))
			}
			f[2*s], f[2*s+1] = v, v
			n++
		}
		return f
	}
}
