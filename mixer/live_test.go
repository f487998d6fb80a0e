package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

func frameOf(v int16) []int16 {
	f := make([]int16, audio.FrameLen)
	for i := range f {
		f[i] = v
	}
	return f
}

// TestLiveAudioAdapts: it waits for its first frames before playing; a dry
// tick is silent but play goes on, the late frames then adding to the
// delay; a long stretch above the target drops a frame; a burst is cut.
func TestLiveAudioAdapts(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	pop := func() (bool, int16) {
		ok, _ := a.AudioAt(ctx, 0, pcm)
		return ok, pcm[0]
	}
	a.Push(frameOf(1))
	if ok, _ := pop(); ok {
		t.Fatal("played with one frame queued, before the 2-frame start")
	}
	a.Push(frameOf(2)[:1000]) // frames may arrive in pieces
	a.Push(frameOf(2)[1000:])
	if ok, v := pop(); !ok || v != 1 {
		t.Fatalf("first frame: %v %d", ok, v)
	}
	pop()
	if ok, _ := pop(); ok { // dry: silent, the target grows to 3
		t.Fatal("played from an empty queue")
	}
	a.Push(frameOf(10)) // the late frame comes: it plays at once
	if ok, v := pop(); !ok || v != 10 {
		t.Fatalf("after an underrun: %v %d, want the late frame at once", ok, v)
	}
	if u, _ := a.Stats(); u != 1 || a.target != 3 {
		t.Errorf("%d underruns, target %d; want 1 and 3", u, a.target)
	}
	// Queue 5 frames and keep it there: the while that began with the late
	// frame (one queued) ends with the target back at 2, and the next, the
	// queue never down to it, drops a frame.
	for i := range 5 {
		a.Push(frameOf(int16(100 + i)))
	}
	for i := range 2*shrinkAfter - 1 {
		a.Push(frameOf(int16(i)))
		pop()
	}
	if _, dropped := a.Stats(); dropped != 1 || a.target != 2 || len(a.frames) != 4 {
		t.Errorf("after a long stretch at 5 frames: %d dropped, target %d, %d queued; want 1, 2, 4", dropped, a.target, len(a.frames))
	}
	// A burst is cut to the maximum depth.
	for range 30 {
		a.Push(frameOf(7))
	}
	if n := len(a.frames); n > a.MaxTarget+4 {
		t.Errorf("%d frames queued after a burst", n)
	}
}

// TestLiveAudioDelayFromAStallGoes: a sender plays with the least delay,
// stalls for 120 ms (six dry ticks), then its late frames come in a burst
// and it goes on as before. The stall's delay goes again, a frame per
// while, instead of staying for the rest of the call (the queue used to
// settle at the raised target, never above it, so nothing was dropped).
func TestLiveAudioDelayFromAStallGoes(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	a.Push(frameOf(0))
	tick := func(push int) int {
		for range push {
			a.Push(frameOf(1))
		}
		a.AudioAt(ctx, 0, pcm)
		return len(a.frames)
	}
	for range 100 {
		tick(1)
	}
	before := tick(1)
	const stall = 6
	for range stall {
		tick(0)
	}
	after := tick(stall + 1)
	if after != before+stall-1 {
		t.Fatalf("queue %d frames after the stall's burst, want %d", after, before+stall-1)
	}
	var queued int
	for range stall * shrinkAfter {
		queued = tick(1)
	}
	if queued != before {
		t.Errorf("%d frames queued %v after the stall, want %d as before it", queued, stall*shrinkAfter*20*time.Millisecond, before)
	}
	if u, dropped := a.Stats(); dropped != uint64(after-before) {
		t.Errorf("%d frames dropped (%d underruns), want %d", dropped, u, after-before)
	}
}

// TestLiveAudioWithoutLimits: a LiveAudio with no MinTarget or MaxTarget
// keeps a target of one frame: one frame queued per tick plays it, and
// nothing is dropped from a queue of one (it used to pop an empty queue).
func TestLiveAudioWithoutLimits(t *testing.T) {
	for _, a := range []*LiveAudio{{}, {MaxTarget: 8}} {
		pcm := make([]int16, audio.FrameLen)
		ctx := context.Background()
		a.Push(frameOf(1))
		a.Push(frameOf(2))
		a.AudioAt(ctx, 0, pcm)
		a.AudioAt(ctx, 0, pcm)
		a.AudioAt(ctx, 0, pcm) // dry: the target would grow to MaxTarget, or 0
		for i := range 2 * shrinkAfter {
			a.Push(frameOf(int16(i)))
			if ok, _ := a.AudioAt(ctx, 0, pcm); !ok || pcm[0] != int16(i) {
				t.Fatalf("MaxTarget %d, tick %d: played %v %d, want frame %d", a.MaxTarget, i, ok, pcm[0], i)
			}
		}
		if _, dropped := a.Stats(); dropped != 0 {
			t.Errorf("MaxTarget %d: %d frames dropped from a queue of one", a.MaxTarget, dropped)
		}
	}
}

// TestLiveVideo: the mixer always gets the newest picture and never blocks;
// the picture it reads is never handed out for decoding until it takes
// another; three buffers circulate.
func TestLiveVideo(t *testing.T) {
	v := NewLiveVideo()
	ctx := context.Background()
	if f, _ := v.VideoAt(ctx, 0); f != nil {
		t.Fatal("a picture before any was put")
	}
	seen := map[*codec.Frame]bool{}
	var last uint64
	var reading *codec.Frame
	for i := range 20 {
		f := v.Buffer()
		if f == reading {
			t.Fatalf("picture %d: the buffer the mixer reads was given to the decoder", i)
		}
		seen[f] = true
		f.Resize(4, 4)
		f.Y[0] = byte(i)
		v.Put(f)
		if i%3 == 0 {
			got, _ := v.VideoAt(ctx, 0)
			if got.Y[0] != byte(i) || got.Seq <= last {
				t.Fatalf("VideoAt gave picture %d (seq %d) after %d was put", got.Y[0], got.Seq, i)
			}
			last, reading = got.Seq, got
		}
		if reading.Y[0] != byte(i/3*3) {
			t.Fatalf("picture %d: the one the mixer reads now shows %d", i, reading.Y[0])
		}
	}
	if len(seen) != 3 {
		t.Errorf("%d buffers used, want 3", len(seen))
	}
	// Nothing new: the mixer keeps the picture it has.
	newest, _ := v.VideoAt(ctx, 0)
	if got, _ := v.VideoAt(ctx, 0); got != newest || got.Y[0] != 19 {
		t.Error("VideoAt with nothing new gave another picture")
	}
}

// TestLiveAudioBreak: a sender of 10 ms packets stops after an odd number
// of them; what it sends when it comes back fills frames of its own,
// rather than completing the half frame left from before.
func TestLiveAudioBreak(t *testing.T) {
	a := NewLiveAudio()
	half := audio.FrameLen / 2
	a.Push(frameOf(1)[:half]) // 10 ms, then the sender stops
	a.Break()
	a.Push(frameOf(2))
	a.Push(frameOf(3))
	pcm := make([]int16, audio.FrameLen)
	for _, want := range []int16{2, 3} {
		ok, err := a.AudioAt(context.Background(), 0, pcm)
		if err != nil || !ok {
			t.Fatalf("AudioAt: %v, %v", ok, err)
		}
		for i, v := range pcm {
			if v != want {
				t.Fatalf("sample %d of the frame is %d, want %d: audio from before the break spliced in", i, v, want)
			}
		}
	}
}

// TestLiveAudioConcealsAfterAHalfFrame: a dry tick while 10 ms of a frame
// are queued plays them, then the concealment for the rest of the frame
// (which goes on from them).
func TestLiveAudioConcealsAfterAHalfFrame(t *testing.T) {
	a := NewLiveAudio()
	var asked int
	a.Conceal = func(pcm []int16) bool {
		asked = len(pcm)
		for i := range pcm {
			pcm[i] = 9
		}
		return true
	}
	a.Push(frameOf(1))
	a.Push(frameOf(1))
	pcm := make([]int16, audio.FrameLen)
	for range 2 {
		if ok, _ := a.AudioAt(context.Background(), 0, pcm); !ok {
			t.Fatal("a queued frame not played")
		}
	}
	half := audio.FrameLen / 2
	a.Push(frameOf(2)[:half])
	if ok, _ := a.AudioAt(context.Background(), 0, pcm); !ok {
		t.Fatal("the dry tick is silent")
	}
	if asked != half || pcm[0] != 2 || pcm[half-1] != 2 || pcm[half] != 9 || pcm[audio.FrameLen-1] != 9 {
		t.Errorf("concealment asked for %d values; the frame starts %d..%d, then %d..%d; want the queued half (2) then the concealment (9)",
			asked, pcm[0], pcm[half-1], pcm[half], pcm[audio.FrameLen-1])
	}
	if ok, _ := a.AudioAt(context.Background(), 0, pcm); !ok || pcm[0] != 9 {
		t.Error("the next dry tick does not conceal a whole frame")
	}
}
