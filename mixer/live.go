package mixer

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

// LiveVideo is the VideoSource of a live participant: their decoder
// goroutine puts each new picture, already scaled to the tile (it reads the
// tile from Box), and the mixer takes the newest one at every tick without
// ever waiting. Three frames circulate: one being decoded into, the newest,
// and the one the mixer is reading.
//
// A picture may be held back to keep with the participant's sound
// (Follow): while their sound's jitter queue waits longer than it
// started with, for packets that came late, each picture waits as much
// longer after its arrival, up to heldPictures of them, so that the mix
// does not show a face speaking ahead of its voice.
type LiveVideo struct {
	box    atomic.Pointer[tileBox]
	follow atomic.Pointer[LiveAudio]
	now    func() time.Time // nil: time.Now (tests set a clock)

	mu      sync.Mutex
	queue   []*codec.Frame // pictures put, not yet taken, oldest first
	reading *codec.Frame   // the picture the mixer holds
	spare   []*codec.Frame
	seq     uint64
}

const (
	// heldPictures is the most pictures held back for the sound: 120 ms
	// (the sound's largest wait above its start) of a sender at up to
	// 60 fps; a faster sender's pictures are held less (the oldest is
	// shown once that many wait).
	heldPictures = 8
	// spareFrames is how many buffers a source keeps for its decoder
	// beyond those in use: what it circulates without a hold.
	spareFrames = 3
)

type tileBox struct {
	size   layout.Size
	aspect layout.Aspect
}

// NewLiveVideo returns an empty source (the mixer shows a placeholder until
// the first picture).
func NewLiveVideo() *LiveVideo {
	return &LiveVideo{spare: []*codec.Frame{{}, {}, {}}}
}

// Follow makes each picture wait after its Arrival for as long as a's
// queue waits beyond its start (a.Lag), so that the participant's picture
// keeps with their sound. A picture without an Arrival does not wait.
func (v *LiveVideo) Follow(a *LiveAudio) { v.follow.Store(a) }

// lag is how long pictures wait now.
func (v *LiveVideo) lag() time.Duration {
	if a := v.follow.Load(); a != nil {
		return a.Lag()
	}
	return 0
}

// SetBox implements BoxedSource.
func (v *LiveVideo) SetBox(size layout.Size, aspect layout.Aspect) {
	v.box.Store(&tileBox{size: size, aspect: aspect})
}

// Box is the tile the pictures go into and how they fill it; ok is false
// until the mixer has said.
func (v *LiveVideo) Box() (size layout.Size, aspect layout.Aspect, ok bool) {
	b := v.box.Load()
	if b == nil {
		return layout.Size{}, 0, false
	}
	return b.size, b.aspect, true
}

// Buffer returns a frame to decode the next picture into; give it back with
// Put (or Discard).
func (v *LiveVideo) Buffer() *codec.Frame {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.spare); n > 0 {
		f := v.spare[n-1]
		v.spare = v.spare[:n-1]
		return f
	}
	return &codec.Frame{}
}

// Put publishes a decoded picture. Without a hold it replaces any picture
// the mixer has not taken yet; with one it queues behind them, the oldest
// giving way beyond heldPictures.
func (v *LiveVideo) Put(f *codec.Frame) {
	lag := v.lag()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	f.Seq = v.seq
	v.queue = append(v.queue, f)
	keep := 1
	if lag > 0 {
		keep = heldPictures
	}
	if n := len(v.queue) - keep; n > 0 {
		v.recycle(v.queue[:n]...)
		v.queue = slices.Delete(v.queue, 0, n)
	}
}

// recycle gives frames back for decoding into, keeping spareFrames of
// them: the rest, made for a hold that ended, go. v.mu must be held.
func (v *LiveVideo) recycle(fs ...*codec.Frame) {
	for _, f := range fs {
		if len(v.spare) < spareFrames {
			v.spare = append(v.spare, f)
		}
	}
}

// Discard gives back a buffer that was not used.
func (v *LiveVideo) Discard(f *codec.Frame) {
	v.mu.Lock()
	v.recycle(f)
	v.mu.Unlock()
}

// VideoAt implements VideoSource, at once: the newest picture, or under a
// hold the newest that has waited it out (the one it holds if none has).
func (v *LiveVideo) VideoAt(context.Context, time.Duration) (*codec.Frame, error) {
	lag := v.lag()
	v.mu.Lock()
	defer v.mu.Unlock()
	take := len(v.queue) // how many of the queue have waited
	if lag > 0 {
		now := time.Now
		if v.now != nil {
			now = v.now
		}
		due := now().Add(-lag)
		take = 0
		for take < len(v.queue) && !v.queue[take].Arrival.After(due) {
			take++
		}
		if take == 0 && len(v.queue) >= heldPictures {
			take = 1 // a sender too fast to hold for all of it: held less
		}
	}
	if take > 0 {
		if v.reading != nil {
			v.recycle(v.reading)
		}
		v.recycle(v.queue[:take-1]...)
		v.reading = v.queue[take-1]
		v.queue = slices.Delete(v.queue, 0, take)
	}
	return v.reading, nil
}

// LiveAudio is the AudioSource of a live participant: an adaptive jitter
// buffer of decoded 20 ms frames. Their decoder goroutine pushes PCM as
// packets arrive; the mixer pops one frame per tick. It starts playing once
// it holds MinTarget frames. When it runs dry, that tick is concealed or
// silent and play goes on: the late packets, when they come, stay queued
// (not thrown away at once), and the target depth grows by a frame (up to
// MaxTarget) for each run of dry ticks. Each while (shrinkAfter ticks)
// without a dry tick, the target comes down a frame (to MinTarget).
//
// A sender in discontinuous transmission (Opus DTX) sends next to nothing
// while it is silent, so the queue runs out at every pause: between Pause
// and Resume those ticks play as dry ones do but are not dry (no underrun,
// no growth of the target), and the sound after the pause starts as play
// does, once the target's frames are queued.
//
// The delay above the target goes again within a second or two, so that
// the sound does not trail the picture (which has no such queue) after a
// stall: each drainWindow, the fewest frames queued over it above the
// target are dropped, a quiet frame (a pause) as soon as one comes up,
// and after drainPatience without one, a frame at a time every
// drainEvery ticks, cross-faded into the next so the cut has no click.
// Beyond MaxTarget+4 frames the oldest are dropped at once (a burst after
// a long stall).
type LiveAudio struct {
	MinTarget, MaxTarget int
	// Conceal, when set, is asked to fill a dry tick's frame after play
	// began (the decoder's loss concealment, continuing the voice instead
	// of cutting it to silence), or what a frame half filled leaves of it;
	// false leaves the tick silent. It is called with the queue's lock
	// held, so it must not Push.
	Conceal func(pcm []int16) bool

	mu       sync.Mutex
	frames   [][]int16 // queued 20 ms frames, oldest first
	free     [][]int16
	part     []int16 // a frame being filled by Push
	playing  bool
	target   int         // the depth the queue is allowed to keep
	dry      bool        // the last tick found the queue empty
	dryRun   int         // ticks in a row with no sound to play (not paused)
	dryFrom  int         // the target before the last run of dry ticks raised it
	dryCount uint64      // underruns counted in the last run of dry ticks
	paused   bool        // the sender is silent (DTX), from Pause to Resume
	rested   bool        // a tick found the queue empty since Pause
	steady   int         // ticks since the last dry tick or the last while's end
	win      depthWindow // the queue's depth at the pops since the last drainWindow's end
	extra    int         // frames queued beyond the start depth: the most in this drainWindow and the last
	excess   int         // frames to drop to come down to the target
	waited   int         // pops since excess was found with no quiet frame dropped
	sinceCut int         // pops since a frame was dropped
	last     []int16     // the frame played last (nil before the first)
	short    bool        // the queue held less than its start depth over the last drainWindow
	patient  bool        // the excess is a frame the queue gained over a drainWindow at a steady target
	lastTgt  int         // the target at the last drainWindow's end

	underruns, dropped, stretched atomic.Uint64
}

// shrinkAfter is the while, in frames played without a dry tick, after
// which the target shrinks (10 s).
const shrinkAfter = 500

const (
	// drainWindow is how often, in ticks, the queue's depth is compared
	// with the target (0.5 s: several of a 120 ms packet's ups and downs).
	drainWindow = 25
	// drainPatience is how long a delay to drop waits for a quiet frame
	// before frames are cut from the sound itself (0.5 s).
	drainPatience = 25
	// drainPatienceOne is how long a single frame gained at a steady
	// target waits for a quiet frame (5 s: talk seldom runs longer).
	drainPatienceOne = 250
	// drainEvery spaces those cuts (one 20 ms frame in 80 ms: 200 ms of
	// delay goes in under a second).
	drainEvery = 4
	// quietPeak is the loudest sample of a frame dropped as a pause (about
	// −36 dBFS).
	quietPeak = 512
	// fadeLen is the cross-fade of a cut, in samples per channel (2.5 ms).
	fadeLen = 120
)

// NewLiveAudio returns a queue that starts at 2 frames (40 ms) of delay and
// adapts up to 8 (160 ms).
func NewLiveAudio() *LiveAudio { return &LiveAudio{MinTarget: 2, MaxTarget: 8, target: 2} }

// Push appends decoded interleaved stereo PCM of any length.
func (a *LiveAudio) Push(pcm []int16) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(pcm) > 0 {
		if a.part == nil {
			a.part = a.alloc()[:0]
		}
		n := min(len(pcm), audio.FrameLen-len(a.part))
		a.part = append(a.part, pcm[:n]...)
		pcm = pcm[n:]
		if len(a.part) == audio.FrameLen {
			a.frames = append(a.frames, a.part)
			a.part = nil
			if len(a.frames) > a.MaxTarget+4 {
				a.drop()
			}
		}
	}
}

// Break tells the queue that what is pushed next does not follow what
// was pushed before (the sender restarted, or came back after an outage):
// a frame left half filled (by 10 ms packets, say) is dropped rather than
// spliced to the new audio.
func (a *LiveAudio) Break() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dropPart()
}

// Pause tells the queue that the sender has gone silent (an Opus DTX
// packet: it sends next to nothing until it speaks again): until Resume,
// a tick that finds the queue empty is that silence, not lateness. It
// plays what a dry tick would (Conceal, which continues the decoder's
// comfort noise and fades) but counts as no underrun, leaves the target
// as it is and counts towards its shrinking.
func (a *LiveAudio) Pause() {
	a.mu.Lock()
	a.paused = true
	a.mu.Unlock()
}

// Resume tells the queue that what is pushed next is the sender's sound
// again, after a Pause. If the queue ran out in the pause, play starts
// again as it first did, once the target's frames are queued: the sound
// keeps the delay it had, rather than coming with none in hand for the
// next late packet. If it did not run out (a DTX packet in the middle of
// the sound), nothing changes.
func (a *LiveAudio) Resume() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rested {
		a.playing = false
	}
	a.paused, a.rested = false, false
}

// Skipped tells the queue that the sender sent nothing for a while
// before what is pushed next (its RTP timestamps jumped over the time):
// if the queue ran dry meanwhile, that was the sender's silence, as in a
// DTX pause whose packet did not come: those ticks count as no underruns,
// the target goes back to where it was before them, and play starts
// again once the target's frames are queued.
func (a *LiveAudio) Skipped() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.dry || !a.playing || a.paused { // a DTX pause: Resume
		return
	}
	a.underruns.Add(-a.dryCount)
	a.target, a.dry, a.dryCount, a.playing = a.dryFrom, false, 0, false
}

// dropPart lets the frame being filled go; a.mu must be held.
func (a *LiveAudio) dropPart() {
	if a.part != nil {
		a.free = append(a.free, a.part[:audio.FrameLen])
		a.part = nil
	}
}

func (a *LiveAudio) alloc() []int16 {
	if n := len(a.free); n > 0 {
		f := a.free[n-1]
		a.free = a.free[:n-1]
		return f
	}
	return make([]int16, audio.FrameLen)
}

func (a *LiveAudio) drop() {
	a.free = append(a.free, a.pop())
	a.dropped.Add(1)
}

// pop takes the oldest frame off the queue. The queue's array is shifted,
// not resliced, so that a queue that keeps its depth allocates nothing.
func (a *LiveAudio) pop() []int16 {
	f := a.frames[0]
	n := copy(a.frames, a.frames[1:])
	a.frames[n] = nil
	a.frames = a.frames[:n]
	return f
}

// AudioAt implements AudioSource.
func (a *LiveAudio) AudioAt(_ context.Context, _ time.Duration, pcm []int16) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.playing {
		if len(a.frames) < a.startDepth() {
			a.dryRun++ // no sound (yet, or again after a pause)
			return false, nil
		}
		a.playing = true
	}
	if len(a.frames) == 0 {
		return a.playDry(pcm), nil
	}
	a.dry, a.dryRun = false, 0
	a.calm()
	// A sender whose clock runs slow delivers less than a frame a tick:
	// the queue sinks below its start depth and would run dry in the
	// middle of a word, a concealed frame there. In a pause (the frame
	// played last and the next both quiet) the last frame is played
	// again instead, cross-faded into the next, so the queue gets its
	// frame back where nobody hears it.
	if a.short && !a.paused && len(a.frames) < a.floor() && a.last != nil && peak(a.last) <= quietPeak && peak(a.frames[0]) <= quietPeak {
		copy(pcm, a.last)
		crossFade(pcm, a.frames[0])
		copy(a.last, pcm)
		a.stretched.Add(1)
		a.short = false
		return true, nil
	}
	a.win.add(len(a.frames))
	// What the sound waits beyond its start (Lag) grows at once, and
	// comes down at the end of a drainWindow that held less.
	a.extra = max(a.extra, a.win.high-a.floor())
	if a.win.n >= drainWindow {
		a.endWindow()
	}
	a.sinceCut++
	cut := a.drain()
	f := a.pop()
	copy(pcm, f)
	a.free = append(a.free, f[:audio.FrameLen])
	if cut != nil {
		crossFade(pcm, cut)
		a.free = append(a.free, cut)
	}
	if a.last == nil {
		a.last = make([]int16, audio.FrameLen)
	}
	copy(a.last, pcm)
	return true, nil
}

// playDry fills pcm for a tick that found the queue empty: a pause's
// silence, or an underrun that raises the target. It reports whether pcm
// holds sound (a frame half filled, concealment). a.mu must be held.
func (a *LiveAudio) playDry(pcm []int16) bool {
	if a.paused {
		a.rested = true
		a.calm()
	} else {
		if !a.dry {
			a.dry, a.dryFrom, a.dryCount = true, a.target, 0
			a.target = max(min(a.target+1, a.MaxTarget), a.floor())
		}
		if a.dryRun < lagForget {
			// Beyond that, the sender's sound stopped (a track muted
			// or removed while the session goes on), not came late.
			a.underruns.Add(1)
			a.dryCount++
		}
		a.dryRun++
		a.steady = 0
	}
	// Nothing queued: no delay to drain.
	a.win.n, a.excess = 0, 0
	// A frame half filled (10 ms packets) plays first, concealment
	// going on from it.
	n := len(a.part)
	if a.Conceal == nil || !a.Conceal(pcm[n:audio.FrameLen]) {
		return false
	}
	copy(pcm, a.part)
	a.dropPart()
	if a.last != nil {
		copy(a.last, pcm)
	}
	return true
}

// depthWindow is the queue's depth at the pops of one drainWindow.
type depthWindow struct {
	n         int // pops so far (0: a new window starts at the next)
	low, high int // the fewest and the most frames queued at them
	sum       int // the frames queued at them, summed
}

// add notes a pop from a queue holding depth frames.
func (w *depthWindow) add(depth int) {
	if w.n == 0 {
		*w = depthWindow{low: depth, high: depth}
	}
	w.low, w.high = min(w.low, depth), max(w.high, depth)
	w.sum += depth
	w.n++
}

// endWindow decides, at the end of a drainWindow, how many frames of
// delay are to be dropped (excess), and how patiently, from the depths the
// window saw. a.mu must be held.
func (a *LiveAudio) endWindow() {
	w := a.win
	a.win.n = 0
	a.extra = max(w.high-a.floor(), 0)
	if a.excess == 0 {
		a.waited = 0 // a delay newly found waits for a pause
	}
	found := max(w.low-a.target, 0)
	// A single frame gained at a steady target (a sender whose clock
	// runs fast gains one every 1/drift frames) hurts nobody for a
	// few seconds: it waits that long for a pause. One left by a
	// lowered target, or by a burst, goes as before.
	if a.excess == 0 {
		a.patient = found == 1 && a.target == a.lastTgt
	} else if found != 1 {
		a.patient = false // a burst came meanwhile: it goes as one
	}
	a.lastTgt = a.target
	a.excess = found
	// Half a frame short on average: the sender delivers less than
	// a frame a tick (its clock runs slow), not a packet now and then
	// late.
	a.short = 2*w.sum < (2*a.floor()-1)*drainWindow
}

// calm counts a tick that was not dry: after shrinkAfter of them in a
// row, the target comes down a frame. a.mu must be held.
func (a *LiveAudio) calm() {
	if a.steady++; a.steady >= shrinkAfter {
		a.steady = 0
		a.target = max(a.target-1, a.floor())
	}
}

// drain drops what it may of the excess from the head of the queue,
// leaving the target's frames (at least one to play), and returns the
// first frame dropped (which the played frame fades in from), or nil.
// a.mu must be held.
func (a *LiveAudio) drain() (cut []int16) {
	if a.excess == 0 {
		return nil
	}
	a.waited++
	// The excess was measured over the last window; the queue may have
	// come down since (a late packet): never below the target.
	for a.excess > 0 && len(a.frames) > max(a.target, 1) {
		quiet := peak(a.frames[0]) <= quietPeak
		patience := drainPatience
		if a.patient {
			patience = drainPatienceOne
		}
		if !quiet && (a.waited < patience || a.sinceCut < drainEvery) {
			break
		}
		if cut == nil {
			cut = a.pop()
			a.dropped.Add(1)
		} else {
			a.drop()
		}
		a.excess--
		a.sinceCut = 0
		if quiet {
			a.waited = 0
		}
		if !quiet {
			break // one frame of the sound itself at a time
		}
	}
	return cut
}

// peak is the largest magnitude of a frame's samples.
func peak(f []int16) int {
	m := 0
	for _, v := range f {
		m = max(m, int(v), -int(v))
	}
	return m
}

// crossFade starts pcm (interleaved stereo) from from, the frame that
// would have played, fading into pcm over fadeLen samples: the sound goes
// on from where the last tick left it, with no step where a frame was cut.
func crossFade(pcm, from []int16) {
	for i := range fadeLen {
		w := int32(i + 1)
		for c := range codec.OpusChannels {
			k := i*codec.OpusChannels + c
			pcm[k] = int16((int32(from[k])*(fadeLen+1-w) + int32(pcm[k])*w) / (fadeLen + 1))
		}
	}
}

// Short reports whether the next AudioAt would find too little to play:
// before play starts, fewer than the target frames queued; after, none.
func (a *LiveAudio) Short() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.playing {
		return len(a.frames) < a.startDepth()
	}
	return len(a.frames) == 0
}

// startDepth is how many frames play starts with: the target, which a
// LiveAudio not made by NewLiveAudio takes from MinTarget here. a.mu must
// be held.
func (a *LiveAudio) startDepth() int {
	if a.target == 0 {
		a.target = a.floor()
	}
	return a.target
}

// floor is the least target: MinTarget, and at least one frame, so that
// a frame is only ever dropped from a queue holding more than one.
func (a *LiveAudio) floor() int { return max(a.MinTarget, 1) }

// Lag is how much longer the queue waits now than it started with, for
// packets that came late: the frames it holds beyond its start depth (the
// most over the last drainWindow), and in a run of dry ticks those ticks too
// (the late packets, when they come, are queued behind them), never more
// than its target grew by. A target raised by dry ticks whose packets
// never came in a burst (lost, or a sender whose clock runs slow) is no
// wait: the queue holds no more than it started with. A sender whose
// sound stopped (nothing to play for lagForget ticks, but in a DTX pause
// while the queue still plays) has no sound to keep with: none.
func (a *LiveAudio) Lag() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dryRun >= lagForget {
		return 0
	}
	n := a.extra
	if a.dry {
		n += a.dryRun
	}
	return time.Duration(max(min(a.target-a.floor(), n), 0)) * audio.FrameDuration
}

// lagForget is how many dry ticks in a row (1 s) end Lag: the sender's
// sound has stopped, not come late.
const lagForget = 50

// Stats reports how often the mixer found the queue empty and how many
// frames were dropped for being too far behind.
func (a *LiveAudio) Stats() (underruns, dropped uint64) {
	return a.underruns.Load(), a.dropped.Load()
}

// Stretched is how many frames were played twice, in a pause, to give a
// queue sunk below its start depth its frame back.
func (a *LiveAudio) Stretched() uint64 { return a.stretched.Load() }
