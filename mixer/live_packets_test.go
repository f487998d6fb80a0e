package mixer

import (
	"context"
	"testing"

	"mcu/audio"
)

// TestLiveAudioDTXInTheSoundAfterARestedPause: a first DTX pause runs the
// queue dry (the sender fell silent); after the sound is back, a second
// DTX packet in the middle of the sound (no gap) must not stop play: each
// tick goes on playing the frame that came.
func TestLiveAudioDTXInTheSoundAfterARestedPause(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	tick := func() bool {
		ok, _ := a.AudioAt(ctx, 0, pcm)
		return ok
	}
	a.Push(frameOf(1))
	for range 10 {
		a.Push(frameOf(1))
		tick()
	}
	a.Pause() // the sender falls silent: the queue runs out
	for range 5 {
		tick()
	}
	a.Resume()
	for range 10 {
		a.Push(frameOf(2))
		tick()
	}
	tick() // a stall whose packet never comes: the queue runs a frame deep after it
	tick()
	for range 5 {
		a.Push(frameOf(2))
		tick()
	}
	a.Pause() // a DTX packet between words, the next packet of sound at once
	a.Resume()
	for i := range 10 {
		a.Push(frameOf(3))
		if !tick() {
			t.Fatalf("tick %d after a DTX packet with no gap in the sound: nothing played, want the frame pushed", i)
		}
	}
	if u, d := a.Stats(); u != 1 || d != 0 {
		t.Errorf("%d underruns, %d dropped; want 1 (the stall), none", u, d)
	}
}

// TestLiveAudioBigPacketsKeepTheirJitter: a sender of 60 ms packets (3
// frames at once, every third tick) makes the queue go from 3 frames down
// to 1 before each packet. The fewest queued over a window (1) is not above
// the target (2): nothing is dropped, and the queue never runs dry.
func TestLiveAudioBigPacketsKeepTheirJitter(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	for i := range 20 * drainWindow {
		if i%3 == 0 {
			for range 3 {
				a.Push(frameOf(3000)) // loud: no pause to drop
			}
		}
		if ok, _ := a.AudioAt(context.Background(), 0, pcm); !ok {
			t.Fatalf("tick %d: nothing played", i)
		}
	}
	if u, d := a.Stats(); u != 0 || d != 0 {
		t.Errorf("60 ms packets in time: %d underruns, %d frames dropped; want none", u, d)
	}
}

// TestLiveAudioBigPacketsNoLag: 120 ms packets (6 frames every sixth
// tick) in time fill the queue above its start depth at each packet, but
// the target never grew: the sound is not late, pictures are not held.
func TestLiveAudioBigPacketsNoLag(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	for i := range 10 * drainWindow {
		if i%6 == 0 {
			for range 6 {
				a.Push(frameOf(3000))
			}
		}
		a.AudioAt(context.Background(), 0, pcm)
		if lag := a.Lag(); lag != 0 {
			t.Fatalf("tick %d, target %d (min %d): lag %v with 120 ms packets in time, want 0", i, a.target, a.MinTarget, lag)
		}
	}
}

// TestLiveAudioLagComesDownAfterABurst: a stall whose late packets came in
// a burst makes pictures wait; once that delay is drained and later stalls
// are of packets that never come (the queue at its start depth), pictures
// wait no more, though the target stays raised.
func TestLiveAudioLagComesDownAfterABurst(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	raiseTarget(t, a, 1) // a stall, its frames then late in a burst
	for range 5 {        // and more of them: the queue well above the target
		a.Push(frameOf(1000))
	}
	a.AudioAt(ctx, 0, pcm)
	if a.Lag() == 0 {
		t.Fatal("no lag with a burst of late frames queued")
	}
	// Stalls of lost packets: the target rises, the queue stays shallow.
	for range 6 {
		for range 50 {
			a.Push(frameOf(1000))
			a.AudioAt(ctx, 0, pcm)
		}
		a.AudioAt(ctx, 0, pcm)
		a.AudioAt(ctx, 0, pcm)
	}
	for range 4 * drainWindow {
		a.Push(frameOf(1000))
		a.AudioAt(ctx, 0, pcm)
	}
	a.mu.Lock()
	depth, target := len(a.frames), a.target
	a.mu.Unlock()
	if lag := a.Lag(); lag != 0 {
		t.Errorf("lag %v with %d frames left after each tick (start depth %d, target %d): want 0, nothing queued beyond the start", lag, depth, a.MinTarget, target)
	}
}

// TestCrossFadeFullScale: a cut between two full-scale frames stays at
// full scale, with no wrap-around (a click at the loudest).
func TestCrossFadeFullScale(t *testing.T) {
	for _, v := range []int16{32767, -32768} {
		pcm, from := frameOf(v), frameOf(v)
		crossFade(pcm, from)
		for i, s := range pcm {
			if s != v {
				t.Fatalf("cross-fade of two frames of %d: sample %d is %d, want %d", v, i, s, v)
			}
		}
	}
}
