package mixer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// scripted is a colour source that calls each action at its first picture
// from its time on, as receivers coming and going would from other
// goroutines.
type scripted struct {
	colourSource
	at   []time.Duration
	do   []func()
	done int
}

func (s *scripted) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	for s.done < len(s.at) && t >= s.at[s.done] {
		s.do[s.done]()
		s.done++
	}
	return s.colourSource.VideoAt(ctx, t)
}

// TestH264Output: the H.264 output runs only while turned on, each of its
// pictures one of a tick the VP8 output has too, in order, none after Run
// returns; it starts with a keyframe each time it is turned on; its
// keyframe requests are its own (neither output's requests make the
// other's keyframes, nor wait for them), coalesced to one per 500 ms (a
// second request soon after is served once the interval has passed, and
// once); while off, its encoder's memory is given back; and it decodes to
// the participant's colour.
func TestH264Output(t *testing.T) {
	out := &capture{}
	cfg := testConfig()
	var setups atomic.Int32 // each run's goroutine sets up its thread
	cfg.H264Thread = func() { setups.Add(1) }
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	var cOff, cBefore int64 // C memory before the output first ran, and while it was off
	cMemory := func() int64 {
		n, ok := codec.CHeapBytes()
		if !ok {
			t.Skip("no C memory figures here")
		}
		return n
	}
	src := &scripted{colourSource: colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180},
		at: []time.Duration{400 * ms, 500 * ms, 1300 * ms, 1500 * ms, 1600 * ms, 3000 * ms, 3300 * ms, 3500 * ms},
		do: []func(){
			func() { cBefore = cMemory() },
			func() { m.SetH264(true) },
			m.RequestKeyframe,
			m.RequestH264Keyframe,
			m.RequestH264Keyframe, // within 500 ms of the one before
			func() { m.SetH264(false) },
			func() {
				// Offline the mixer runs ahead of the wall clock: give the
				// encoder's goroutine a moment to free what it held.
				cOff = cMemory()
				for end := time.Now().Add(2 * time.Second); cOff > cBefore+1<<20 && time.Now().Before(end); {
					time.Sleep(10 * time.Millisecond)
					cOff = cMemory()
				}
			},
			func() { m.SetH264(true) },
		}}
	if err := m.Add(Participant{ID: "a", Video: src}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 4*time.Second)
	out.mu.Lock()
	returned := len(out.video)
	out.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	out.mu.Lock()
	defer out.mu.Unlock()
	if len(out.video) != returned {
		t.Errorf("%d pictures handed on after Run returned", len(out.video)-returned)
	}
	if n := setups.Load(); n != 2 {
		t.Errorf("the H.264 thread set up %d times for two runs", n)
	}
	if cOff > cBefore+1<<20 {
		t.Errorf("C memory while the output was off: %d KiB over what it was before it first ran", (cOff-cBefore)>>10)
	}

	// Each action is seen at the tick after the one that made it.
	frame := time.Second / 30
	on := func(pts time.Duration) bool {
		return pts > 500*ms && pts <= 3000*ms || pts > 3500*ms
	}
	var vp8Keys, h264Keys []time.Duration
	var h264 [][]byte
	lastVP8, lastH264, vp8s := time.Duration(-1), time.Duration(-1), 0
	for i, f := range out.video {
		switch f.Codec {
		case codec.VP8:
			if f.PTS <= lastVP8 {
				t.Fatalf("VP8 picture %d at %v after %v", i, f.PTS, lastVP8)
			}
			lastVP8 = f.PTS
			vp8s++
			if f.Key {
				vp8Keys = append(vp8Keys, f.PTS)
			}
		case codec.H264:
			if f.PTS <= lastH264 || f.PTS%frame > time.Microsecond && frame-f.PTS%frame > time.Microsecond {
				t.Errorf("H.264 picture %d at %v after %v: not in order, or not at a tick", i, f.PTS, lastH264)
			}
			lastH264 = f.PTS
			if !on(f.PTS) {
				t.Errorf("H.264 picture at %v, while the output was off", f.PTS)
			}
			if f.Key {
				h264Keys = append(h264Keys, f.PTS)
			}
			if f.PTS > 500*ms && f.PTS <= 1500*ms {
				h264 = append(h264, f.Data)
			}
		default:
			t.Fatalf("picture %d: codec %v", i, f.Codec)
		}
	}
	if vp8s != 120 {
		t.Errorf("%d VP8 pictures in 4 s, want 120", vp8s)
	}
	want := int((2500*ms)/frame) + int((500*ms-frame/2)/frame) // (0.5 s, 3 s] and (3.5 s, 4 s)
	if n := m.Stats().H264Frames; int(n) != want {
		t.Errorf("%d H.264 pictures, want %d", n, want)
	}
	// Each at the tick after its cause (near), give or take one.
	near := func(got, want time.Duration) bool { return got >= want && got <= want+2*frame }
	if len(vp8Keys) != 2 || vp8Keys[0] != 0 || !near(vp8Keys[1], 1300*ms) {
		t.Errorf("VP8 keyframes at %v, want 0 and the request's (1.3 s)", vp8Keys)
	}
	// On at 0.5 s; asked for at 1.5 s (0.2 s after a VP8 one: not held
	// back by it) and again at 1.6 s, served 500 ms after the first; on
	// again at 3.5 s.
	if len(h264Keys) != 4 || !near(h264Keys[0], 500*ms) || !near(h264Keys[1], 1500*ms) ||
		!near(h264Keys[2], h264Keys[1]+500*ms) || !near(h264Keys[3], 3500*ms) {
		t.Errorf("H.264 keyframes at %v, want when it was turned on (0.5 s, 3.5 s), the first request's (1.5 s) and the second's, 500 ms after", h264Keys)
	}
	if n := m.Stats().H264Keyframes; n != 4 {
		t.Errorf("stats: %d H.264 keyframes", n)
	}

	dec, err := codec.NewVideoDecoder(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var pics int
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: 640, H: 360})[0]
	for i, d := range h264 {
		if err := dec.Send(d, time.Duration(i)*frame); err != nil {
			t.Fatalf("H.264 picture %d: %v", i, err)
		}
		f := &codec.Frame{}
		ok, err := dec.Receive(f)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		pics++
		if y := lumaAt(&f.YCbCr, cell); y < 76 || y > 86 || f.Rect.Dx() != 640 {
			t.Errorf("H.264 picture %d: %dx%d, luma %d at the tile's centre, want 640x360 and ~81", i, f.Rect.Dx(), f.Rect.Dy(), y)
		}
	}
	if pics < len(h264)-2 {
		t.Errorf("decoded %d of %d H.264 pictures", pics, len(h264))
	}
}

// blockH264 is an output whose H.264 pictures wait until release is
// closed.
type blockH264 struct {
	capture
	release chan struct{}
}

func (b *blockH264) Video(f codec.EncodedFrame) error {
	if f.Codec == codec.H264 {
		<-b.release
	}
	return b.capture.Video(f)
}

// TestH264OutputDropsWhileBusy: live, a picture that comes while the H.264
// encoder (here its output) is still busy is dropped, not waited for, and
// a keyframe asked for with a dropped picture comes with the next one
// encoded.
func TestH264OutputDropsWhileBusy(t *testing.T) {
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	out := &blockH264{release: make(chan struct{})}
	st := &stats{}
	h := &h264Pipe{cfg: cfg.H264(), out: out, stats: st, log: slog.Default(), fail: func(err error) { t.Errorf("output failed: %v", err) }}
	pic, err := codec.NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	c := newCanvas(pic, 0)
	offer := func(i int, key bool) {
		h.offer(encodeJob{c: c, pts: time.Duration(i) * time.Second / 30, h264Key: key, bitrate: cfg.Bitrate}, false)
	}
	offer(0, false) // encoded; its output blocks, and the run's picture stays taken
	offer(1, true)  // dropped, its keyframe owed
	offer(2, false) // dropped
	if n := st.h264Dropped.Load(); n != 2 {
		t.Fatalf("%d pictures dropped while the encoder was busy, want 2", n)
	}
	close(out.release)
	for end := time.Now().Add(5 * time.Second); len(h.idle) == 0; {
		if time.Now().After(end) {
			t.Fatal("the encoder did not come back")
		}
		time.Sleep(time.Millisecond)
	}
	offer(3, false)
	h.stop()
	h.wait()
	var keys []bool
	var pts []time.Duration
	for _, f := range out.video {
		keys, pts = append(keys, f.Key), append(pts, f.PTS)
	}
	if len(keys) != 2 || !keys[0] || !keys[1] || pts[1] != 3*time.Second/30 {
		t.Errorf("H.264 pictures at %v, keyframes %v: want the first and the fourth, both keyframes (the second's request owed)", pts, keys)
	}
	if st.h264Frames.Load() != 2 || st.h264Keyframes.Load() != 2 {
		t.Errorf("stats: %d pictures, %d keyframes", st.h264Frames.Load(), st.h264Keyframes.Load())
	}
}

// overlapH264 is blockH264 that also counts H.264 pictures handed on at
// once.
type overlapH264 struct {
	blockH264
	calls, inFlight, most atomic.Int32
}

func (o *overlapH264) Video(f codec.EncodedFrame) error {
	if f.Codec == codec.H264 {
		o.calls.Add(1)
		n := o.inFlight.Add(1)
		defer o.inFlight.Add(-1)
		for m := o.most.Load(); n > m && !o.most.CompareAndSwap(m, n); m = o.most.Load() {
		}
	}
	return o.blockH264.Video(f)
}

// TestH264RunsInTurn: the output turned off and on again while its last
// picture is still being handed on starts a new run (a new encoder) that
// hands on nothing until the old one is over: one picture at a time, in
// order, the new run's keyframe after the old run's last picture.
func TestH264RunsInTurn(t *testing.T) {
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	out := &overlapH264{blockH264: blockH264{release: make(chan struct{})}}
	h := &h264Pipe{cfg: cfg.H264(), out: out, stats: &stats{}, log: slog.Default(), fail: func(err error) { t.Errorf("output failed: %v", err) }}
	pic, err := codec.NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	c := newCanvas(pic, 0)
	offer := func(i int) {
		h.offer(encodeJob{c: c, pts: time.Duration(i) * time.Second / 30, bitrate: cfg.Bitrate}, false)
	}
	offer(0) // its output blocks
	for end := time.Now().Add(5 * time.Second); out.calls.Load() == 0; {
		if time.Now().After(end) {
			t.Fatal("the first picture was not handed on")
		}
		time.Sleep(time.Millisecond)
	}
	h.stop()
	offer(2) // a new run
	time.Sleep(200 * time.Millisecond)
	if n := out.calls.Load(); n != 1 {
		t.Errorf("%d H.264 pictures handed on while the run before was still handing on its last", n)
	}
	close(out.release)
	h.stop()
	h.wait()
	var pts []time.Duration
	for _, f := range out.video {
		pts = append(pts, f.PTS)
	}
	if len(pts) != 2 || pts[0] != 0 || pts[1] != 2*time.Second/30 || !out.video[1].Key || out.most.Load() != 1 {
		t.Errorf("H.264 pictures at %v (the second a keyframe: %v), at most %d at once: want 0 then 66.7ms, one at a time",
			pts, len(out.video) > 1 && out.video[1].Key, out.most.Load())
	}
}

// TestH264OutputFailure: an H.264 encoder that cannot open is warned
// about and tried again h264Retry later, the run's pictures given back
// meanwhile (not counted as dropped) and nothing handed on; once it opens,
// the output goes on, starting with a keyframe.
func TestH264OutputFailure(t *testing.T) {
	defer func(r time.Duration, open func(codec.H264Config) (*codec.H264Encoder, error)) {
		h264Retry, newH264Encoder = r, open
	}(h264Retry, newH264Encoder)
	h264Retry = 100 * time.Millisecond
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	for _, c := range []struct {
		name  string
		fails int // opens that fail, -1: all
	}{{"never opens", -1}, {"opens the third time", 2}} {
		t.Run(c.name, func(t *testing.T) {
			var opens atomic.Int32
			newH264Encoder = func(hc codec.H264Config) (*codec.H264Encoder, error) {
				if n := int(opens.Add(1)); c.fails < 0 || n <= c.fails {
					return nil, errors.New("no encoder today")
				}
				return codec.NewH264Encoder(hc)
			}
			var logs bytes.Buffer
			out := &capture{}
			st := &stats{}
			h := &h264Pipe{cfg: cfg.H264(), out: out, stats: st, log: slog.New(slog.NewTextHandler(&logs, nil)), fail: func(err error) { t.Errorf("output failed: %v", err) }}
			pic, err := codec.NewPicture(320, 180)
			if err != nil {
				t.Fatal(err)
			}
			defer pic.Free()
			cv := newCanvas(pic, 0)
			// Pictures every ~10 ms, until the encoder has been tried
			// three times (at least 200 ms, with the retries 100 ms
			// apart) and, if it opened, has handed on 5 pictures; at
			// most 5 s, on a loaded machine.
			handed := func() int {
				out.mu.Lock()
				defer out.mu.Unlock()
				return len(out.video)
			}
			start := time.Now()
			var third time.Duration // from the first picture to the third open
			for i := 0; time.Since(start) < 5*time.Second; i++ {
				if opens.Load() >= 3 && third == 0 {
					third = time.Since(start)
				}
				if opens.Load() >= 3 && (c.fails < 0 || handed() >= 5) {
					break
				}
				h.offer(encodeJob{c: cv, pts: time.Duration(i) * time.Second / 30, bitrate: cfg.Bitrate}, false)
				for end := time.Now().Add(5 * time.Second); len(h.idle) == 0 && time.Now().Before(end); {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(10 * time.Millisecond)
			}
			h.stop()
			h.wait()
			if third < 2*h264Retry {
				t.Errorf("three opens within %v: a failed encoder is tried again sooner than every %v", third, h264Retry)
			}
			warned := strings.Count(logs.String(), "h264 output failed")
			if st.h264Dropped.Load() != 0 {
				t.Errorf("%d pictures dropped: a failed encoder's pictures are given back", st.h264Dropped.Load())
			}
			if c.fails < 0 {
				if len(out.video) != 0 || warned < 3 || int(opens.Load()) != warned {
					t.Errorf("%d pictures handed on, %d opens, %d warnings: want none, and a warning for each open", len(out.video), opens.Load(), warned)
				}
				return
			}
			if warned != 2 || opens.Load() != 3 || len(out.video) < 5 || !out.video[0].Key {
				t.Errorf("%d warnings, %d opens, %d pictures handed on (the first a keyframe: %v): want 2, 3, and the output going on after",
					warned, opens.Load(), len(out.video), len(out.video) > 0 && out.video[0].Key)
			}
		})
	}
}

// slowH264 is an output whose H.264 pictures each take a while to hand
// on (a slow network write).
type slowH264 struct{ capture }

func (s *slowH264) Video(f codec.EncodedFrame) error {
	if f.Codec == codec.H264 {
		time.Sleep(30 * time.Millisecond)
	}
	return s.capture.Video(f)
}

// TestH264OutputDoneWhenRunReturns: when Run returns, the H.264 output has
// handed on its last picture, however slow its output: nothing comes after.
func TestH264OutputDoneWhenRunReturns(t *testing.T) {
	out := &slowH264{}
	m, err := New(testConfig(), out)
	if err != nil {
		t.Fatal(err)
	}
	m.SetH264(true)
	if err := m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 300*time.Millisecond)
	count := func() (n int) {
		out.mu.Lock()
		defer out.mu.Unlock()
		for _, f := range out.video {
			if f.Codec == codec.H264 {
				n++
			}
		}
		return n
	}
	at := count()
	time.Sleep(100 * time.Millisecond)
	if after := count(); after != at || at != 9 {
		t.Errorf("%d H.264 pictures when Run returned, %d after: want all 9, all before", at, after)
	}
}

// stageObserver counts the CPU spans of each stage.
type stageObserver struct {
	mu    sync.Mutex
	spans map[Stage]int
}

func (o *stageObserver) Compose(time.Duration) {}
func (o *stageObserver) Encode(time.Duration)  {}
func (o *stageObserver) Latency(time.Duration) {}
func (o *stageObserver) LateTicks(int)         {}
func (o *stageObserver) Dropped(bool)          {}
func (o *stageObserver) EncoderSpeed(bool)     {}
func (o *stageObserver) Keyframe(bool)         {}
func (o *stageObserver) CPU(stage Stage, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.spans[stage]++
}

// TestH264CopyCounted: the copy of each canvas for the H.264 encoder is
// H.264 work (h264_encode), not the rest's: with an encoder that never
// opens, each picture offered is one span of it.
func TestH264CopyCounted(t *testing.T) {
	defer func(open func(codec.H264Config) (*codec.H264Encoder, error)) { newH264Encoder = open }(newH264Encoder)
	newH264Encoder = func(codec.H264Config) (*codec.H264Encoder, error) { return nil, errors.New("no encoder today") }
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	obs := &stageObserver{spans: map[Stage]int{}}
	runH264(t, cfg.H264(), &capture{}, &stats{obs: obs}, make([]bool, 5))
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if n := obs.spans[StageH264Encode]; n != 5 {
		t.Errorf("%d spans of h264_encode for 5 pictures copied and none encoded, want 5 (%v)", n, obs.spans)
	}
}

// TestH264PresetFollowsStrain: pictures offered while the machine is
// short of CPU are encoded with strainPreset, from a new encoder (whose
// first picture is a keyframe), and those after it with the configured
// preset again; a run of either kind opens its encoder once.
func TestH264PresetFollowsStrain(t *testing.T) {
	opened := presetsOpened(t)
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	out := &capture{}
	st := &stats{}
	strained := []bool{false, false, true, true, true, false, false}
	runH264(t, cfg.H264(), out, st, strained)
	if got, want := opened(), []string{cfg.H264().Preset, strainPreset, cfg.H264().Preset}; !slices.Equal(got, want) {
		t.Errorf("encoders opened with presets %v, want %v", got, want)
	}
	var keys []int
	for i, f := range out.video {
		if f.Key {
			keys = append(keys, i)
		}
	}
	if len(out.video) != len(strained) || !slices.Equal(keys, []int{0, 2, 5}) {
		t.Errorf("%d pictures, keyframes at %v; want %d, keyframes at 0, 2 and 5 (each encoder's first)", len(out.video), keys, len(strained))
	}
	if n := st.h264Presets.Load(); n != 2 {
		t.Errorf("%d preset changes counted, want 2", n)
	}
}
