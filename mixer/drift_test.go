package mixer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"mcu/audio"
)

// driftRun feeds a LiveAudio with 20 ms frames from a sender whose clock
// runs at rate times the server's (1.005: 0.5 % fast), each frame arriving
// with up to jitter of network delay, for dur of server time, one tick per
// 20 ms, and reports the underruns, drops, the lag pictures are held by
// (Lag) and the queue's real extra wait (frames queued beyond the start's
// two), averaged over the last minute.
func driftRun(rate float64, jitter, dur time.Duration) (underruns, dropped uint64, lag, extra time.Duration, maxQueue int) {
	a := NewLiveAudio()
	a.Conceal = func(pcm []int16) bool { clear(pcm); return true }
	rng := rand.New(rand.NewPCG(1, 2))
	frame := audio.FrameDuration
	pcm := make([]int16, audio.FrameLen)
	next := 0 // next frame to send
	sendAt := func(i int) time.Duration {
		return 5*time.Millisecond + time.Duration(float64(i)*float64(frame)/rate)
	}
	var pending []time.Duration // arrivals of frames sent, in order
	ticks := int(dur / frame)
	var lagSum, extraSum time.Duration
	n := 0
	lastArrival := time.Duration(0)
	for k := range ticks {
		now := time.Duration(k) * frame
		// Frames arriving up to now (in order: a later one waits for the one before).
		for sendAt(next) <= now {
			arr := max(sendAt(next)+time.Duration(rng.Int64N(int64(jitter)+1)), lastArrival)
			lastArrival = arr
			pending = append(pending, arr)
			next++
		}
		for len(pending) > 0 && pending[0] <= now {
			f := make([]int16, audio.FrameLen)
			for i := range f {
				f[i] = 10000 // talk, never quiet
			}
			a.Push(f)
			pending = pending[1:]
		}
		queued := len(a.frames) // what this tick's frame waited behind, and it
		maxQueue = max(maxQueue, queued)
		a.AudioAt(context.Background(), now, pcm)
		if k >= ticks-3000 {
			lagSum += a.Lag()
			extraSum += time.Duration(queued-a.MinTarget) * frame
			n++
		}
	}
	u, d := a.Stats()
	return u, d, lagSum / time.Duration(n), extraSum / time.Duration(n), maxQueue
}

// TestLongCallSenderClockDrift: a sender whose audio clock runs 0.1–0.5 %
// slow or fast for half an hour. Its queue must stay bounded, and the
// pictures held back for the sound (Lag) must be held by no more than the
// sound really waits beyond its start, or the picture trails the voice.
func TestLongCallSenderClockDrift(t *testing.T) {
	for _, rate := range []float64{0.995, 0.998, 0.999, 1, 1.001, 1.005} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			u, d, lag, extra, mq := driftRun(rate, 5*time.Millisecond, 30*time.Minute)
			t.Logf("rate %v: %d underruns, %d dropped, lag %v, real extra wait %v, most queued %d", rate, u, d, lag, extra, mq)
			if mq > NewLiveAudio().MaxTarget+4 {
				t.Errorf("queue reached %d frames", mq)
			}
			if lag-extra > 30*time.Millisecond {
				t.Errorf("pictures held %v for the sound, which waits only %v beyond its start: the picture trails the voice by %v",
					lag, extra, lag-extra)
			}
		})
	}
}
