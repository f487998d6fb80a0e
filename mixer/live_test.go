package mixer

import (
	"context"
	"math"
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
// delay; a stretch above the target is dropped; a burst is cut.
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
	// Five frames more, the queue kept there: within a second the queue
	// is back at the target (3) and, 10 s after the dry tick, at 2.
	for i := range 5 {
		a.Push(frameOf(int16(100 + i)))
	}
	for i := range 50 {
		a.Push(frameOf(int16(i)))
		pop()
	}
	if _, dropped := a.Stats(); dropped != 3 || a.target != 3 || len(a.frames) != 2 {
		t.Errorf("a second at 5 frames above the target: %d dropped, target %d, %d queued; want 3, 3, 2", dropped, a.target, len(a.frames))
	}
	for i := range shrinkAfter {
		a.Push(frameOf(int16(i)))
		pop()
	}
	if _, dropped := a.Stats(); dropped != 4 || a.target != 2 || len(a.frames) != 1 {
		t.Errorf("after 10 s more: %d dropped, target %d, %d queued; want 4, 2, 1", dropped, a.target, len(a.frames))
	}
	// A burst is cut to the maximum depth, and no further: MaxTarget's 8
	// frames (160 ms) and 4 more, 12 frames (240 ms).
	for range 30 {
		a.Push(frameOf(7))
	}
	if n := len(a.frames); n != 12 {
		t.Errorf("%d frames queued after a burst of 30, want 12 (240 ms)", n)
	}
}

// TestLiveAudioDelayFromAStallGoes: a sender plays with the least delay,
// stalls for 200 ms (ten dry ticks), then its late frames come in a burst
// and it goes on as before. The stall raises the target by one frame, not
// one a tick, and its delay goes within two seconds, not a frame
// per 10 s: the sound would trail the picture by 200 ms for a minute.
func TestLiveAudioDelayFromAStallGoes(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	a.Push(frameOf(1000))
	tick := func(push int) int {
		for range push {
			a.Push(frameOf(1000)) // loud: no pause to drop
		}
		a.AudioAt(ctx, 0, pcm)
		return len(a.frames)
	}
	for range 100 {
		tick(1)
	}
	before := tick(1)
	const stall = 10
	for range stall {
		tick(0)
	}
	if a.target != a.MinTarget+1 {
		t.Errorf("target %d after one stall, want %d", a.target, a.MinTarget+1)
	}
	after := tick(stall + 1)
	if after != before+stall-1 {
		t.Fatalf("queue %d frames after the stall's burst, want %d", after, before+stall-1)
	}
	queued := after
	for range 100 {
		queued = tick(1)
	}
	if queued > before+1 {
		t.Errorf("%d frames queued 2 s after the stall, want at most %d (%d before it)", queued, before+1, before)
	}
	for range shrinkAfter {
		queued = tick(1)
	}
	if queued != before {
		t.Errorf("%d frames queued 12 s after the stall, want %d as before it", queued, before)
	}
	if u, dropped := a.Stats(); dropped != uint64(after-before) || u != uint64(stall-before) {
		t.Errorf("%d frames dropped, %d underruns; want %d and %d", dropped, u, after-before, stall-before)
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

// raiseTarget makes a's target grow by n frames, and its queue's wait as
// much: n stalls of the network, each a run of ticks with no packet up to
// a dry one, after which the late frames come at once and are queued. It
// ends in the last dry run, its late frames queued.
func raiseTarget(t *testing.T, a *LiveAudio, n int) {
	t.Helper()
	pcm := make([]int16, audio.FrameLen)
	for a.Short() {
		a.Push(frameOf(1)) // to the start depth
	}
	for range n {
		late := 0
		for played := true; played; late++ {
			played, _ = a.AudioAt(context.Background(), 0, pcm)
		}
		for range late {
			a.Push(frameOf(1))
		}
	}
}

// TestLiveVideoFollowsTheSound: while the participant's sound waits longer
// than it started with, each picture waits as much after its arrival; the
// newest picture that has waited is shown, those before it skipped.
func TestLiveVideoFollowsTheSound(t *testing.T) {
	a := NewLiveAudio()
	if a.Lag() != 0 {
		t.Fatalf("a new queue's lag %v, want 0", a.Lag())
	}
	raiseTarget(t, a, 3)
	if a.Lag() != 60*time.Millisecond {
		t.Fatalf("lag %v after three runs of dry ticks, want 60ms", a.Lag())
	}
	v := NewLiveVideo()
	t0 := time.Unix(1000, 0)
	now := t0
	v.now = func() time.Time { return now }
	v.Follow(a)
	ctx := context.Background()
	put := func(i int) {
		f := v.Buffer()
		f.Resize(4, 4)
		f.Y[0] = byte(i)
		f.Arrival = t0.Add(time.Duration(i) * 10 * time.Millisecond)
		v.Put(f)
	}
	shown := func() int {
		f, _ := v.VideoAt(ctx, 0)
		if f == nil {
			return -1
		}
		return int(f.Y[0])
	}
	for i := range 10 { // a picture every 10 ms
		now = t0.Add(time.Duration(i) * 10 * time.Millisecond)
		put(i)
		// The picture of 60 ms ago, none before 60 ms.
		if want := i - 6; shown() != max(want, -1) {
			t.Fatalf("at %v, VideoAt shows picture %d, want %d", now.Sub(t0), shown(), max(want, -1))
		}
	}
	// Pictures skipped: at 100 ms past the last, the newest due.
	now = t0.Add(190 * time.Millisecond)
	if got := shown(); got != 9 {
		t.Fatalf("every picture due: VideoAt shows %d, want 9", got)
	}
	// A picture without an arrival time waits for nothing.
	f := v.Buffer()
	f.Resize(4, 4)
	f.Y[0] = 50
	v.Put(f)
	if got := shown(); got != 50 {
		t.Fatalf("a picture without an arrival: VideoAt shows %d, want 50", got)
	}

	// Unfollowed, the newest at once.
	v.Follow(nil)
	put(11)
	put(12)
	if got := shown(); got != 12 {
		t.Errorf("not following: VideoAt shows %d, want the newest, 12", got)
	}
}

// TestLiveVideoHoldsAFew: a hold keeps heldPictures, the oldest giving
// way; with that many waiting, the oldest is shown though not due (a
// sender too fast to hold for all the lag); once the hold ends the source
// keeps no more buffers than it circulates without one.
func TestLiveVideoHoldsAFew(t *testing.T) {
	a := NewLiveAudio()
	raiseTarget(t, a, 6) // the most: 120 ms
	v := NewLiveVideo()
	t0 := time.Unix(1000, 0)
	v.now = func() time.Time { return t0 }
	v.Follow(a)
	for i := range 3 * heldPictures { // all arrived at once, none due
		f := v.Buffer()
		f.Resize(4, 4)
		f.Y[0] = byte(i)
		f.Arrival = t0
		v.Put(f)
		if want := min(i+1, heldPictures); len(v.queue) != want {
			t.Fatalf("%d pictures put: %d held, want %d", i+1, len(v.queue), want)
		}
	}
	f, _ := v.VideoAt(context.Background(), 0)
	if f == nil || int(f.Y[0]) != 2*heldPictures {
		t.Fatalf("%d held, none due: VideoAt shows %v, want the oldest held, %d", heldPictures, f, 2*heldPictures)
	}
	v.now = func() time.Time { return t0.Add(time.Second) }
	f, _ = v.VideoAt(context.Background(), 0)
	if f == nil || int(f.Y[0]) != 3*heldPictures-1 {
		t.Fatalf("after the hold: VideoAt shows %v, want the newest", f)
	}
	if len(v.queue) != 0 || len(v.spare) != spareFrames {
		t.Errorf("after the hold: %d queued, %d spare buffers; want 0 and %d", len(v.queue), len(v.spare), spareFrames)
	}
}

// TestLiveVideoFastSender: a sender at 60 fps is held for all the
// sound's largest lag; one at 83 fps, faster than heldPictures cover, is
// held less but never freezes: every tick of the mixer shows a newer
// picture.
func TestLiveVideoFastSender(t *testing.T) {
	for _, tc := range []struct {
		every       time.Duration // between the sender's pictures
		least, most time.Duration // how long the shown ones waited
	}{
		{16667 * time.Microsecond, 120 * time.Millisecond, 137 * time.Millisecond},
		{12 * time.Millisecond, 84 * time.Millisecond, 120 * time.Millisecond},
	} {
		a := NewLiveAudio()
		raiseTarget(t, a, 6) // 120 ms
		v := NewLiveVideo()
		t0 := time.Unix(1000, 0)
		now := t0
		v.now = func() time.Time { return now }
		v.Follow(a)
		next, n := t0, 0
		var last *codec.Frame
		var lastSeq uint64
		for tick := range 90 { // 3 s at 30 fps
			now = t0.Add(time.Duration(tick) * time.Second / 30)
			for !next.After(now) {
				f := v.Buffer()
				f.Resize(4, 4)
				f.Arrival = next
				v.Put(f)
				next, n = next.Add(tc.every), n+1
			}
			f, _ := v.VideoAt(context.Background(), 0)
			if tick < 10 {
				continue // the hold filling
			}
			if f == nil || f.Seq <= lastSeq {
				t.Fatalf("a picture every %v: tick %d shows no newer picture (seq %v after %d)", tc.every, tick, f, lastSeq)
			}
			if waited := now.Sub(f.Arrival); waited < tc.least || waited > tc.most {
				t.Fatalf("a picture every %v: tick %d shows one that waited %v, want %v to %v", tc.every, tick, waited, tc.least, tc.most)
			}
			last, lastSeq = f, f.Seq
		}
		if last == nil {
			t.Fatal("nothing shown")
		}
	}
}

// TestLiveAudioLag: the lag is what the queue holds beyond its start
// depth for packets that came late, up to the target's growth; a sender
// whose sound stops (a second of dry ticks, not a DTX pause) has none,
// and it is back when their sound is, late.
func TestLiveAudioLag(t *testing.T) {
	a := NewLiveAudio()
	raiseTarget(t, a, 1)
	if a.Lag() != 20*time.Millisecond {
		t.Fatalf("lag %v after one stall, want 20ms", a.Lag())
	}
	// A picture waits that one frame's time.
	v := NewLiveVideo()
	t0 := time.Unix(1000, 0)
	v.now = func() time.Time { return t0.Add(19 * time.Millisecond) }
	v.Follow(a)
	f := v.Buffer()
	f.Arrival = t0
	v.Put(f)
	if got, _ := v.VideoAt(context.Background(), 0); got != nil {
		t.Fatal("a picture of 19 ms ago shown with 20 ms of lag")
	}
	v.now = func() time.Time { return t0.Add(20 * time.Millisecond) }
	if got, _ := v.VideoAt(context.Background(), 0); got != f {
		t.Fatal("a picture of 20 ms ago not shown with 20 ms of lag")
	}
	pcm := make([]int16, audio.FrameLen)
	for i := 0; a.dryRun < lagForget-1; i++ { // the queued frames play, then the ticks run dry
		a.AudioAt(context.Background(), 0, pcm)
		if a.Lag() < 20*time.Millisecond { // in the dry run, 40: the late frames would come behind it
			t.Fatalf("lag %v after %d ticks, %d of them dry in a row, want 20ms at least", a.Lag(), i+1, a.dryRun)
		}
	}
	a.AudioAt(context.Background(), 0, pcm)
	if a.Lag() != 0 {
		t.Fatalf("lag %v after %d dry ticks in a row, want none", a.Lag(), lagForget)
	}
	for range a.MinTarget + 1 { // the sound back, late: a frame more than the start's
		a.Push(frameOf(1))
	}
	a.AudioAt(context.Background(), 0, pcm)
	if a.Lag() != 20*time.Millisecond {
		t.Errorf("lag %v with the sound back, want 20ms", a.Lag())
	}
	// Paused (DTX), the silence is the sender's: the lag stays.
	a.Pause()
	for range 2 * lagForget {
		a.AudioAt(context.Background(), 0, pcm)
	}
	if a.Lag() != 20*time.Millisecond {
		t.Errorf("lag %v in a DTX pause, want 20ms", a.Lag())
	}
	// Resumed, the queue waits for its target's frames to play again: a
	// sender that never sends them has no sound to keep with.
	a.Resume()
	for range lagForget {
		a.AudioAt(context.Background(), 0, pcm)
	}
	if a.Lag() != 0 {
		t.Errorf("lag %v a second after a pause the sound never came back from, want none", a.Lag())
	}
}

// TestLiveAudioLagWithoutLateFrames: stalls whose packets never come
// (lost, or a sender whose clock runs slow: the queue runs dry now and
// then, its frames a tick late at most) raise the target, but the queue
// holds no more than at its start: pictures are not held for it.
func TestLiveAudioLagWithoutLateFrames(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	a.Push(frameOf(1000))
	for range 6 {
		for range 50 {
			a.Push(frameOf(1000))
			a.AudioAt(context.Background(), 0, pcm)
		}
		a.AudioAt(context.Background(), 0, pcm) // a frame lost, or late by a tick
		a.AudioAt(context.Background(), 0, pcm)
	}
	for range drainWindow {
		a.Push(frameOf(1000))
		a.AudioAt(context.Background(), 0, pcm)
	}
	if a.target <= a.MinTarget || a.Lag() != 0 {
		t.Errorf("target %d, lag %v; want a raised target and no lag", a.target, a.Lag())
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

// TestLiveAudioDropsPausesFirst: a delay to drop goes in the sender's
// pauses when there are some (no sound lost), and only without one for
// drainPatience is a frame of sound cut.
func TestLiveAudioDropsPausesFirst(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	// Frame i is loud (1000+i) unless i%8 == 7: a pause of 20 ms in 160.
	next := 0
	push := func() {
		v := int16(1000 + next)
		if next%8 == 7 {
			v = int16(next % 100) // under quietPeak
		}
		a.Push(frameOf(v))
		next++
	}
	var played []int16
	tick := func(n int) {
		for range n {
			push()
		}
		if ok, _ := a.AudioAt(ctx, 0, pcm); ok {
			played = append(played, pcm[len(pcm)-1]) // past a cut's fade
		}
	}
	push()
	for range 50 {
		tick(1)
	}
	for range 6 { // a 120 ms stall
		tick(0)
	}
	tick(7)
	for range 200 {
		tick(1)
	}
	_, dropped := a.Stats()
	if dropped == 0 {
		t.Fatal("nothing dropped after a stall")
	}
	// Every loud frame was played, in order.
	want := int16(1000)
	for _, v := range played {
		if v < 1000 {
			continue
		}
		for (want-1000)%8 == 7 {
			want++
		}
		if v != want {
			t.Fatalf("played loud frame %d, want %d: a frame of sound was cut while pauses came every 160 ms", v-1000, want-1000)
		}
		want++
	}

	// A sender with no pause: frames of sound are cut, but not before
	// drainPatience, nor closer than drainEvery.
	b := NewLiveAudio()
	b.Push(frameOf(1000))
	for range 50 {
		b.Push(frameOf(1000))
		b.AudioAt(ctx, 0, pcm)
	}
	for range 6 {
		b.AudioAt(ctx, 0, pcm)
	}
	var cuts []int
	for i := range 200 {
		n := 1
		if i == 0 {
			n = 7
		}
		for range n {
			b.Push(frameOf(1000))
		}
		_, d0 := b.Stats()
		b.AudioAt(ctx, 0, pcm)
		if _, d1 := b.Stats(); d1 > d0 {
			cuts = append(cuts, i)
		}
	}
	if len(cuts) == 0 {
		t.Fatal("no frame cut from a sender without pauses")
	}
	// The burst's tick is the window's first and the window's last its
	// patience's first.
	if first := drainWindow - 1 + drainPatience - 1; cuts[0] < first {
		t.Errorf("first cut at tick %d after the burst, want it after the window and the patience (%d)", cuts[0], first)
	}
	// One 20 ms frame cut in 80 ms at most: 4 ticks apart or more.
	if len(cuts) < 2 {
		t.Fatalf("cuts at ticks %v, want several to space", cuts)
	}
	for i := 1; i < len(cuts); i++ {
		if cuts[i]-cuts[i-1] < 4 {
			t.Errorf("cuts at ticks %d and %d: closer than 4 ticks (80 ms)", cuts[i-1], cuts[i])
		}
	}
}

// TestLiveAudioCutIsSmooth: a frame cut from a continuous tone is
// cross-faded over 2.5 ms, so the sound has no click (without the fade, a
// step of up to twice the tone's amplitude).
func TestLiveAudioCutIsSmooth(t *testing.T) {
	const amp, hz = 16000.0, 75.0
	a := NewLiveAudio()
	n := 0
	push := func() {
		f := make([]int16, audio.FrameLen)
		for i := 0; i < len(f); i += 2 {
			v := int16(amp * math.Cos(2*math.Pi*hz*float64(n)/48000))
			f[i], f[i+1] = v, v
			n++
		}
		a.Push(f)
	}
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	var out []int16
	play := func() {
		if ok, _ := a.AudioAt(ctx, 0, pcm); ok {
			out = append(out, pcm...)
		} else {
			out = out[:0] // a dry tick: the sound starts again
		}
	}
	push()
	for range 20 {
		push()
		play()
	}
	for range 6 {
		play()
	}
	out = out[:0]
	for range 7 {
		push()
	}
	for range 150 {
		push()
		play()
	}
	if _, dropped := a.Stats(); dropped == 0 {
		t.Fatal("nothing cut")
	}
	// The 75 Hz tone is a cycle and a half further on 20 ms later and at a
	// peak where each frame starts, so a cut jumps twice its amplitude; the
	// fade spreads that jump over 120 samples (2.5 ms), adding at most
	// 2*amp/120 to the tone's own steepest step. The pitch is low so that
	// its own steps are small beside that: a fade half as long (60
	// samples) makes steps of about 2*amp/60 and fails.
	steepest := amp * 2 * math.Pi * hz / 48000
	bound := steepest + 2*amp/120
	worst := 0.0
	for i := 2; i < len(out); i += 2 {
		worst = max(worst, math.Abs(float64(out[i])-float64(out[i-2])))
	}
	if worst > bound {
		t.Errorf("a step of %.0f in the sound; the tone's steepest is %.0f, and a cut faded over 2.5 ms adds at most %.0f", worst, steepest, 2*amp/120)
	}
}

// TestLiveAudioGrowsAtEachStall: every run of dry ticks raises the target
// by a frame, the second stall after sound played as well as the first.
func TestLiveAudioGrowsAtEachStall(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	a.Push(frameOf(1000))
	tick := func(push int) {
		for range push {
			a.Push(frameOf(1000))
		}
		a.AudioAt(ctx, 0, pcm)
	}
	for range 50 {
		tick(1)
	}
	// Each stall: three dry ticks, then a second of sound.
	for i, want := range []int{3, 4} { // 60 ms, then 80 ms
		for range 3 {
			tick(0)
		}
		for range 50 {
			tick(1)
		}
		if a.target != want {
			t.Errorf("after stall %d: target %d frames, want %d (%d ms)", i+1, a.target, want, 20*want)
		}
	}
}

// TestLiveAudioTargetStopsAtItsMaximum: twenty stalls raise the target to
// 8 frames (160 ms) and no further, so that after a DTX pause play starts
// again once 8 frames are queued, within the 12 a burst is cut to.
func TestLiveAudioTargetStopsAtItsMaximum(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	a.Push(frameOf(1000))
	a.Push(frameOf(1000))
	a.AudioAt(ctx, 0, pcm)
	a.AudioAt(ctx, 0, pcm)
	for range 20 {
		a.AudioAt(ctx, 0, pcm) // dry: a stall of its own
		a.Push(frameOf(1000))
		if ok, _ := a.AudioAt(ctx, 0, pcm); !ok {
			t.Fatal("a queued frame not played")
		}
	}
	if a.target != 8 {
		t.Fatalf("target %d frames after 20 stalls, want 8 (160 ms)", a.target)
	}
	a.Pause()
	a.AudioAt(ctx, 0, pcm) // the queue runs out in the pause
	a.Resume()
	for i := 1; i <= 8; i++ {
		a.Push(frameOf(1000))
		ok, _ := a.AudioAt(ctx, 0, pcm)
		if ok != (i == 8) {
			t.Fatalf("after the pause, %d frames queued: played %v, want play to start at 8 (160 ms)", i, ok)
		}
	}
}

// TestLiveAudioQuietPeak: a frame peaking at 700 (about -33 dBFS) is
// sound, kept when the queue has a delay to drop, where one peaking at
// 500 (under -36 dBFS) is a pause, dropped at once.
func TestLiveAudioQuietPeak(t *testing.T) {
	for _, c := range []struct {
		peak    int16
		dropped uint64
	}{{700, 0}, {500, 3}} {
		a := NewLiveAudio()
		for range 6 {
			f := frameOf(0)
			f[100] = -c.peak
			a.Push(f)
		}
		a.playing, a.target, a.excess = true, 3, 3 // three above the target
		a.AudioAt(context.Background(), 0, make([]int16, audio.FrameLen))
		if _, dropped := a.Stats(); dropped != c.dropped {
			t.Errorf("frames peaking at %d: %d dropped, want %d", c.peak, dropped, c.dropped)
		}
	}
}

// TestLiveAudioDrainKeepsTheTarget: an excess measured over the last
// window is not dropped below the target when the queue has come down
// since (a late packet): the next one late would make a dry tick.
func TestLiveAudioDrainKeepsTheTarget(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	for range 6 {
		a.Push(frameOf(0)) // quiet: dropped at once
	}
	a.playing, a.target, a.excess = true, 3, 5 // five above the target, when there were eight
	a.AudioAt(context.Background(), 0, pcm)
	if n := len(a.frames); n != a.target-1 {
		t.Errorf("%d frames left after the tick, want %d (the target, less the one played)", n, a.target-1)
	}
}

// dtxTalk drives a LiveAudio as a sender in discontinuous transmission
// does, a tick (a frame pushed or not, one pulled) at a time: talk is
// ticks of sound, a frame each, after a Resume; pause is pauseTicks in
// which a frame (the decoder's, for a DTX packet) comes every 20 ticks
// (400 ms), each after a Pause. The queue conceals with silence.
type dtxTalk struct {
	a                      *LiveAudio
	pcm                    []int16
	ticks, dead, concealed int // ticks, those that played nothing, those concealed
}

func newDTXTalk() *dtxTalk {
	d := &dtxTalk{a: NewLiveAudio(), pcm: make([]int16, audio.FrameLen)}
	d.a.Conceal = func(pcm []int16) bool {
		d.concealed++
		clear(pcm)
		return true
	}
	return d
}

const (
	talkTicks  = 50  // 1 s
	pauseTicks = 100 // 2 s
)

func (d *dtxTalk) tick(push bool) {
	if push {
		d.a.Push(frameOf(1000))
	}
	if ok, _ := d.a.AudioAt(context.Background(), 0, d.pcm); !ok {
		d.dead++
	}
	d.ticks++
}

func (d *dtxTalk) talk(n int) {
	d.a.Resume()
	for range n {
		d.tick(true)
	}
}

func (d *dtxTalk) pause() {
	for i := range pauseTicks {
		if i%20 == 0 {
			d.a.Pause()
		}
		d.tick(i%20 == 0)
	}
}

// TestLiveAudioDTXPausesAreNotDry: a sender talks for a second, then is
// silent for two, sending a frame every 400 ms (Opus DTX), five times
// over. The ticks that find the queue empty in the pauses play the
// concealment, but count as no underrun and leave the target where it
// started; the talk after each pause starts as the first did, at the
// target's depth, so its delay is the same after the fifth pause as after
// the first.
func TestLiveAudioDTXPausesAreNotDry(t *testing.T) {
	d := newDTXTalk()
	a := d.a
	// depth is the frames queued when the talk's second frame has played.
	depth := func() int {
		d.talk(2)
		n := len(a.frames)
		d.talk(talkTicks - 2)
		return n
	}
	first := depth()
	for i := range 5 {
		d.pause()
		if a.target != a.MinTarget {
			t.Fatalf("pause %d: target %d, want %d", i+1, a.target, a.MinTarget)
		}
		if n := depth(); n != first {
			t.Errorf("after pause %d: %d frames queued in the talk, want %d as at the start", i+1, n, first)
		}
	}
	if u, dropped := a.Stats(); u != 0 || dropped != 0 {
		t.Errorf("%d underruns, %d dropped; want none", u, dropped)
	}
	// Each pause: its 5 frames and the talk's last play, the other 94
	// ticks are concealed; after it, a tick waits for the talk's start
	// depth (as the first one did).
	if want := 5 * (pauseTicks - 6); d.concealed != want {
		t.Errorf("%d ticks concealed, want %d", d.concealed, want)
	}
	if want := 6 * (a.MinTarget - 1); d.dead != want {
		t.Errorf("%d ticks played nothing, want %d (waiting for the start depth)", d.dead, want)
	}
}

// TestLiveAudioDTXPausesLetTheTargetShrink: a pause is a while without a
// dry tick: the target a stall raised comes down shrinkAfter ticks later,
// pauses and all, as for a sender that never pauses.
func TestLiveAudioDTXPausesLetTheTargetShrink(t *testing.T) {
	d := newDTXTalk()
	a := d.a
	d.talk(talkTicks)
	for range 2 { // a stall: the target grows a frame
		d.tick(false)
	}
	if a.target != a.MinTarget+1 {
		t.Fatalf("target %d after a stall, want %d", a.target, a.MinTarget+1)
	}
	// Ticks that play or are paused count; those after a pause that wait
	// for the start depth do not (nor do they before play first starts).
	calm := func() int { return d.ticks - d.dead }
	stall := calm()
	for range 3 {
		d.talk(talkTicks)
		d.pause()
	}
	for calm() < stall+shrinkAfter-1 {
		d.talk(1)
	}
	if a.target != a.MinTarget+1 {
		t.Fatalf("target %d a tick before the while's end, want %d", a.target, a.MinTarget+1)
	}
	d.talk(1)
	if a.target != a.MinTarget {
		t.Errorf("target %d %d ticks after the stall, pauses of DTX among them; want %d", a.target, shrinkAfter, a.MinTarget)
	}
}

// TestLiveAudioPauseWithoutAGap: a Pause (a DTX packet) whose queue never
// runs out before the Resume changes nothing: the same frames play at the
// same ticks as without it, with a queue a frame deep after a stall, and
// a dry tick after the Resume counts as it would have.
func TestLiveAudioPauseWithoutAGap(t *testing.T) {
	plain, paused := NewLiveAudio(), NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	frame := 0
	step := func(push, pause, resume bool) {
		var got [2][]int16
		for k, a := range []*LiveAudio{plain, paused} {
			if a == paused && pause {
				a.Pause()
			}
			if a == paused && resume {
				a.Resume()
			}
			if push {
				a.Push(frameOf(int16(frame)))
			}
			if ok, _ := a.AudioAt(ctx, 0, pcm); ok {
				got[k] = frameOf(pcm[0])
			}
		}
		if push {
			frame++
		}
		if (got[0] == nil) != (got[1] == nil) || got[0] != nil && got[0][0] != got[1][0] {
			t.Fatalf("frame %d: played %v, with a pause %v", frame, got[0] != nil, got[1] != nil)
		}
	}
	step(true, false, false)
	for range 20 {
		step(true, false, false)
	}
	step(false, false, false) // a stall: the queue runs a frame deep after it
	step(false, false, false)
	for range 10 {
		step(true, false, false)
	}
	step(true, true, false) // the DTX packet
	step(true, false, true) // sound again, the next tick
	for range 10 {
		step(true, false, false)
	}
	step(false, false, false) // a dry tick after the pause ended
	for range 5 {
		step(true, false, false)
	}
	u0, d0 := plain.Stats()
	u1, d1 := paused.Stats()
	if u0 != u1 || d0 != d1 || plain.target != paused.target || u1 != 2 {
		t.Errorf("with a pause: %d underruns, %d dropped, target %d; without: %d, %d, %d; want 2 underruns",
			u1, d1, paused.target, u0, d0, plain.target)
	}
}
