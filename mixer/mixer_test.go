package mixer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

func TestMain(m *testing.M) {
	codec.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// colourSource is a VideoSource of flat-colour pictures at fps, the way an
// offline source behaves: the newest picture at or before t.
type colourSource struct {
	y, cb, cr uint8
	w, h      int
	fps       int
	frame     *codec.Frame
	calls     int
	failAfter time.Duration // > 0: errors from then on
	failNil   bool          // and no picture with them
}

func (s *colourSource) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	s.calls++
	if s.failAfter > 0 && t >= s.failAfter {
		if s.failNil {
			return nil, errors.New("broken stream")
		}
		return s.frame, errors.New("broken stream")
	}
	if s.fps == 0 {
		s.fps = 30
	}
	k := uint64(t * time.Duration(s.fps) / time.Second)
	if s.frame == nil {
		s.frame = codec.NewFrame(s.w, s.h)
	}
	if s.frame.Seq != k+1 {
		codec.FillRect(&s.frame.YCbCr, s.frame.Rect, s.y, s.cb, s.cr)
		s.frame.Seq, s.frame.PTS = k+1, time.Duration(k)*time.Second/time.Duration(s.fps)
	}
	return s.frame, nil
}

// toneSource is an AudioSource of a sine at hz, amp of full scale.
type toneSource struct {
	hz, amp float64
	n       int
}

func (s *toneSource) AudioAt(_ context.Context, _ time.Duration, pcm []int16) (bool, error) {
	for i := range audio.FrameSamples {
		v := int16(s.amp * 32767 * math.Sin(2*math.Pi*s.hz*float64(s.n+i)/audio.SampleRate))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	s.n += audio.FrameSamples
	return true, nil
}

// capture is an Output that keeps everything, decoding audio as it comes.
type capture struct {
	mu     sync.Mutex
	video  []codec.EncodedFrame
	audio  []codec.EncodedFrame
	minus  map[string][]codec.EncodedFrame
	failOn int // fail the nth video frame when > 0
}

func (c *capture) Video(f codec.EncodedFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.video = append(c.video, f)
	if c.failOn > 0 && len(c.video) == c.failOn {
		return errors.New("disk full")
	}
	return nil
}

func (c *capture) Audio(f codec.EncodedFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.audio = append(c.audio, f)
	return nil
}

func (c *capture) MixMinus(id string, f codec.EncodedFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.minus == nil {
		c.minus = map[string][]codec.EncodedFrame{}
	}
	c.minus[id] = append(c.minus[id], f)
	return nil
}

func testConfig() Config {
	c := DefaultConfig()
	c.Video.Width, c.Video.Height, c.Video.Bitrate = 640, 360, 500_000
	return c
}

// tappedMixer is a mixer of cfg, its output kept, whose canvases composed
// at the given times are recorded.
func tappedMixer(t *testing.T, cfg Config, at ...time.Duration) (*Mixer, *canvasAt) {
	t.Helper()
	tap := tapAt(at...)
	cfg.Tap = tap.tap
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	return m, tap
}

// canvasAt records the canvas composed at given times through Tap.
type canvasAt struct {
	mu   sync.Mutex
	want map[time.Duration]bool
	got  map[time.Duration]*image.YCbCr
}

func tapAt(times ...time.Duration) *canvasAt {
	c := &canvasAt{want: map[time.Duration]bool{}, got: map[time.Duration]*image.YCbCr{}}
	for _, t := range times {
		c.want[t] = true
	}
	return c
}

func (c *canvasAt) tap(img *image.YCbCr, t time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.want[t] {
		cp := codec.NewImage(img.Rect.Dx(), img.Rect.Dy())
		codec.CopyImage(cp, img)
		c.got[t] = cp
	}
	return nil
}

func lumaAt(img *image.YCbCr, r layout.Rect) uint8 {
	return img.Y[(r.Y+r.H/2)*img.YStride+r.X+r.W/2]
}

func chromaAt(img *image.YCbCr, r layout.Rect) (uint8, uint8) {
	o := (r.Y+r.H/2)/2*img.CStride + (r.X+r.W/2)/2
	return img.Cb[o], img.Cr[o]
}

func run(t *testing.T, m *Mixer, until time.Duration) {
	t.Helper()
	if err := m.Run(context.Background(), AsFastAsPossible(), until); err != nil {
		t.Fatal(err)
	}
}

// TestComposite: three participants with pictures and one without, in a
// grid; each cell shows its colour, the one without a picture shows the
// placeholder, and the mixer produces a picture per tick and audio per 20 ms.
func TestComposite(t *testing.T) {
	cfg := testConfig()
	tap := tapAt(500 * time.Millisecond)
	cfg.Tap = tap.tap
	out := &capture{}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	colours := [][3]uint8{{81, 90, 240}, {145, 54, 34}, {41, 240, 110}}
	for i, c := range colours {
		src := &colourSource{y: c[0], cb: c[1], cr: c[2], w: 320, h: 180}
		if err := m.Add(Participant{ID: string(rune('a' + i)), Video: src}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Add(Participant{ID: "d", Name: "Dora"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(Participant{ID: "d"}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate id: %v", err)
	}
	run(t, m, time.Second)

	if len(out.video) != 30 || len(out.audio) != 50 {
		t.Fatalf("got %d pictures and %d audio frames in 1 s, want 30 and 50", len(out.video), len(out.audio))
	}
	canvas := tap.got[500*time.Millisecond]
	cells := layout.Cells(layout.Grid, 4, 0, layout.Size{W: 640, H: 360})
	for i, c := range colours {
		y := lumaAt(canvas, cells[i])
		cb, cr := chromaAt(canvas, cells[i])
		if y != c[0] || cb != c[1] || cr != c[2] {
			t.Errorf("cell %d shows %d,%d,%d, want %v", i, y, cb, cr, c)
		}
	}
	// The placeholder: dark grey with lighter text somewhere in the cell.
	ph := cells[3]
	var bright int
	for y := ph.Y; y < ph.Y+ph.H; y++ {
		for x := ph.X; x < ph.X+ph.W; x++ {
			if canvas.Y[y*canvas.YStride+x] > 150 {
				bright++
			}
		}
	}
	if canvas.Y[(ph.Y+4)*canvas.YStride+ph.X+4] != placeholderY || bright < 50 {
		t.Errorf("placeholder cell: corner luma %d, %d text pixels", canvas.Y[(ph.Y+4)*canvas.YStride+ph.X+4], bright)
	}
	for i, f := range out.video {
		if want := time.Duration(i) * time.Second / 30; f.PTS != want {
			t.Fatalf("picture %d at %v, want %v", i, f.PTS, want)
		}
	}
}

// TestSkipsUnchangedTiles proves the compositor does not repaint a tile whose
// source has no new picture: the source's pixels change behind its back but
// its Seq does not, and the canvas keeps the old pixels.
func TestSkipsUnchangedTiles(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 100*time.Millisecond, 400*time.Millisecond)
	src := &frozenSource{f: codec.NewFrame(320, 180)}
	codec.FillRect(&src.f.YCbCr, src.f.Rect, 100, 128, 128)
	src.f.Seq = 1
	m.Add(Participant{ID: "a", Video: src})
	src.at = 200 * time.Millisecond
	run(t, m, 500*time.Millisecond)
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: 640, H: 360})[0]
	if y := lumaAt(tap.got[400*time.Millisecond], cell); y != 100 {
		t.Errorf("tile repainted although Seq did not change: luma %d", y)
	}
}

type frozenSource struct {
	f  *codec.Frame
	at time.Duration
}

func (s *frozenSource) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= s.at { // change the pixels, not the Seq
		codec.FillRect(&s.f.YCbCr, s.f.Rect, 200, 128, 128)
	}
	return s.f, nil
}

// TestBrokenSourceKeepsLastPicture: a source that fails keeps its tile's
// last picture, whether it returns that picture with its error or none.
func TestBrokenSourceKeepsLastPicture(t *testing.T) {
	for _, failNil := range []bool{false, true} {
		cfg := testConfig()
		m, tap := tappedMixer(t, cfg, 900*time.Millisecond)
		m.Add(Participant{ID: "a", Video: &colourSource{y: 120, cb: 60, cr: 200, w: 322, h: 181, failAfter: 300 * time.Millisecond, failNil: failNil}})
		run(t, m, time.Second)
		cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: 640, H: 360})[0]
		if y := lumaAt(tap.got[900*time.Millisecond], cell); y != 120 {
			t.Errorf("after the source broke (no picture with the error: %v) the tile shows luma %d, want its last picture (120)", failNil, y)
		}
	}
}

// TestMixMinus: each participant's own mix lacks their tone and has the
// others' at their level; the full mix has all tones.
func TestMixMinus(t *testing.T) {
	out := &capture{}
	m, _ := New(testConfig(), out)
	tones := map[string]float64{"a": 440, "b": 700, "c": 1060}
	for id, hz := range tones {
		m.Add(Participant{ID: id, Audio: &toneSource{hz: hz, amp: 0.063}, MixMinus: true})
	}
	run(t, m, time.Second)
	const amp = 0.063
	check := func(name string, frames []codec.EncodedFrame, without string) {
		pcm := decodeOpus(t, frames)
		tail := pcm[len(pcm)/2:]
		for id, hz := range tones {
			for ch := range 2 {
				a := goertzel(tail, ch, hz)
				if id == without {
					// Opus leaves well under -40 dB of a removed tone.
					if a > amp/100 {
						t.Errorf("%s: own tone %v Hz present at %.4f in channel %d", name, hz, a, ch)
					}
					continue
				}
				if db := 20 * math.Log10(a/amp); math.Abs(db) > 1 {
					t.Errorf("%s: tone %v Hz at %.1f dB of its input level in channel %d", name, hz, db, ch)
				}
			}
		}
	}
	check("full mix", out.audio, "")
	for id := range tones {
		if n := len(out.minus[id]); n != 50 {
			t.Fatalf("%s: %d mix-minus frames, want 50", id, n)
		}
		check("mix-minus "+id, out.minus[id], id)
	}
}

// audioTicks runs m's sound alone, tick by tick, for n ticks of 20 ms,
// calling before(tick) ahead of each (to add, remove or mute someone).
func audioTicks(t *testing.T, m *Mixer, n int, before func(tick int)) {
	t.Helper()
	for tick := range n {
		before(tick)
		tt := time.Duration(tick) * audio.FrameDuration
		m.sync(tt)
		if err := m.audioTick(context.Background(), tt); err != nil {
			t.Fatal(err)
		}
	}
}

// aroundTick is the decoded sound of frames from the tick before tick to
// two after it (Opus delays by a few milliseconds).
func aroundTick(t *testing.T, frames []codec.EncodedFrame, tick int) []int16 {
	t.Helper()
	pcm := decodeOpus(t, frames)
	return pcm[2*(tick-1)*audio.FrameSamples : 2*(tick+2)*audio.FrameSamples]
}

func decodeOpus(t *testing.T, frames []codec.EncodedFrame) []int16 {
	t.Helper()
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var all []int16
	buf := make([]int16, codec.MaxOpusSamples*2)
	for _, f := range frames {
		n, err := dec.Decode(f.Data, buf)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, buf[:2*n]...)
	}
	return all
}

// goertzel is the amplitude of a sine at hz in channel ch of stereo pcm.
func goertzel(pcm []int16, ch int, hz float64) float64 {
	n := len(pcm) / 2
	k := 2 * math.Cos(2*math.Pi*hz/audio.SampleRate)
	var s1, s2 float64
	for i := range n {
		s := float64(pcm[2*i+ch])/32768 + k*s1 - s2
		s2, s1 = s1, s
	}
	return 2 * math.Sqrt(s1*s1+s2*s2-k*s1*s2) / float64(n)
}

func TestRemoveTakesTileAway(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 600*time.Millisecond)
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}})
	gone := &removeAt{m: m, id: "b", at: 400 * time.Millisecond, src: &colourSource{y: 145, cb: 54, cr: 34, w: 320, h: 180}}
	m.Add(Participant{ID: "b", Video: gone})
	run(t, m, 700*time.Millisecond)
	size := layout.Size{W: 640, H: 360}
	before, after := tap.got[200*time.Millisecond], tap.got[600*time.Millisecond]
	if y := lumaAt(before, layout.Cells(layout.Grid, 2, 0, size)[1]); y != 145 {
		t.Errorf("before: b's cell luma %d", y)
	}
	if y := lumaAt(after, layout.Cells(layout.Grid, 1, 0, size)[0]); y != 81 {
		t.Errorf("after: a should fill the canvas, luma %d", y)
	}
	if m.Remove("b") {
		t.Error("removed twice")
	}
}

// TestSwapRepaintsMovedTiles: one person leaves and another joins between
// two pictures, so the grid keeps its size but the people after the one who
// left move up a cell. Every cell shows its new occupant, none the person
// who left.
func TestSwapRepaintsMovedTiles(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 600*time.Millisecond)
	red := &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}
	blue := &colourSource{y: 41, cb: 240, cr: 110, w: 320, h: 180}
	green := &colourSource{y: 145, cb: 54, cr: 34, w: 320, h: 180}
	m.Add(Participant{ID: "a", Video: &swapAt{m: m, out: "a", in: Participant{ID: "d", Video: green}, at: 400 * time.Millisecond, src: red}})
	m.Add(Participant{ID: "b"}) // no video: a placeholder
	m.Add(Participant{ID: "c", Video: blue})
	run(t, m, 700*time.Millisecond)
	cells := layout.Cells(layout.Grid, 3, 0, layout.Size{W: 640, H: 360})
	before, after := tap.got[200*time.Millisecond], tap.got[600*time.Millisecond]
	if y := lumaAt(before, cells[0]); y != red.y {
		t.Errorf("before: cell 0 luma %d, want a's %d", y, red.y)
	}
	corner := func(img *image.YCbCr, c layout.Rect) uint8 { return img.Y[(c.Y+4)*img.YStride+c.X+4] }
	if y := corner(after, cells[0]); y != placeholderY {
		t.Errorf("after: cell 0 corner luma %d, want b's placeholder (%d), not a who left", y, placeholderY)
	}
	for i, want := range []*colourSource{blue, green} {
		if y := lumaAt(after, cells[i+1]); y != want.y {
			t.Errorf("after: cell %d luma %d, want %d", i+1, y, want.y)
		}
	}
}

// swapAt removes participant out and adds in from inside the tick at a
// given time, once, as a DELETE and a join landing together would.
type swapAt struct {
	m       *Mixer
	out     string
	in      Participant
	at      time.Duration
	src     *colourSource
	swapped bool
}

func (s *swapAt) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= s.at && !s.swapped {
		s.swapped = true
		s.m.Remove(s.out)
		if err := s.m.Add(s.in); err != nil {
			return nil, err
		}
	}
	return s.src.VideoAt(ctx, t)
}

// removeAt removes its participant from inside the tick at a given time,
// as an HTTP DELETE would from another goroutine.
type removeAt struct {
	m   *Mixer
	id  string
	at  time.Duration
	src *colourSource
}

func (r *removeAt) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= r.at {
		r.m.Remove(r.id)
	}
	return r.src.VideoAt(ctx, t)
}

func TestKeyframeRequestsCoalesce(t *testing.T) {
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}})
	m.Add(Participant{ID: "b", Video: &keyRequester{m: m, src: &colourSource{y: 145, cb: 54, cr: 34, w: 320, h: 180}}})
	run(t, m, 2*time.Second)
	var keys []time.Duration
	for _, f := range out.video {
		if f.Key {
			keys = append(keys, f.PTS)
		}
	}
	// Requests every tick for 2 s: the encoder's first picture, then forced
	// ones at most one per 500 ms (the first picture does not hold back the
	// first request: the receivers that ask were not there for it).
	if len(keys) < 5 || len(keys) > 6 {
		t.Errorf("%d keyframes at %v, want 5 or 6 (the first, then ≤ 1 per 500 ms)", len(keys), keys)
	}
	for i := 2; i < len(keys); i++ {
		if keys[i]-keys[i-1] < 500*time.Millisecond {
			t.Errorf("keyframes %v and %v closer than 500 ms", keys[i-1], keys[i])
		}
	}
}

type keyRequester struct {
	m   *Mixer
	src *colourSource
}

func (k *keyRequester) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	k.m.RequestKeyframe()
	return k.src.VideoAt(ctx, t)
}

// TestRealTimeMatchesOffline: the same sources give the same bytes whether
// the mixer runs as fast as possible or paced by the wall clock.
func TestRealTimeMatchesOffline(t *testing.T) {
	mix := func(clock Clock) *capture {
		out := &capture{}
		m, _ := New(testConfig(), out)
		m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, Audio: &toneSource{hz: 440, amp: 0.1}})
		m.Add(Participant{ID: "b", Video: &colourSource{y: 145, cb: 54, cr: 34, w: 322, h: 180, fps: 15}, Audio: &toneSource{hz: 700, amp: 0.1}})
		if err := m.Run(context.Background(), clock, 600*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fast, real := mix(AsFastAsPossible()), mix(RealTime())
	if len(fast.video) != len(real.video) || len(fast.audio) != len(real.audio) {
		t.Fatalf("frame counts differ: %d/%d vs %d/%d", len(fast.video), len(fast.audio), len(real.video), len(real.audio))
	}
	for i := range fast.video {
		if string(fast.video[i].Data) != string(real.video[i].Data) || fast.video[i].PTS != real.video[i].PTS {
			t.Fatalf("picture %d differs", i)
		}
	}
	for i := range fast.audio {
		if string(fast.audio[i].Data) != string(real.audio[i].Data) {
			t.Fatalf("audio frame %d differs", i)
		}
	}
}

// TestEpoch: a mixer on the wall clock says when PTS 0 was, from its first
// tick on; one that runs as fast as possible has no such time.
func TestEpoch(t *testing.T) {
	m, _ := New(testConfig(), &capture{})
	if _, ok := m.Epoch(); ok {
		t.Error("an epoch before Run")
	}
	before := time.Now()
	if err := m.Run(context.Background(), RealTime(), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	e, ok := m.Epoch()
	// Run's last tick (PTS < 300 ms) is due at Epoch + its PTS.
	if !ok || e.Before(before) || e.After(after.Add(-270*time.Millisecond)) {
		t.Errorf("epoch %v (%v) for a run from %v to %v", e.Sub(before), ok, 0, after.Sub(before))
	}
	m, _ = New(testConfig(), &capture{})
	if err := m.Run(context.Background(), AsFastAsPossible(), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if e, ok := m.Epoch(); ok {
		t.Errorf("an offline mixer says PTS 0 was at %v", e)
	}
}

func TestOutputErrorStopsRun(t *testing.T) {
	out := &capture{failOn: 5}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}})
	err := m.Run(context.Background(), AsFastAsPossible(), 10*time.Second)
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("Run returned %v, want the output's error", err)
	}
	if err := m.Add(Participant{ID: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Run: %v", err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	m, _ := New(testConfig(), &capture{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := m.Run(ctx, RealTime(), 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v", err)
	}
}

// boxedSource delivers pictures already at the size its box asks for, as a
// decoder goroutine does with ReceiveScaled.
type boxedSource struct {
	colourSource
	box    layout.Size
	aspect layout.Aspect
	boxes  int
	early  bool // asked for a picture before being told its tile
}

func (s *boxedSource) SetBox(box layout.Size, a layout.Aspect) {
	s.box, s.aspect, s.boxes = box, a, s.boxes+1
}

func (s *boxedSource) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	f, _ := s.colourSource.VideoAt(ctx, t)
	if s.box.W == 0 {
		s.early = true
		return f, nil
	}
	dst, _ := layout.Place(layout.Size{W: s.w, H: s.h}, s.box.Rect(), s.aspect)
	out := codec.NewFrame(dst.W, dst.H)
	codec.FillRect(&out.YCbCr, out.Rect, s.y, s.cb, s.cr)
	out.Seq, out.PTS = f.Seq, f.PTS
	out.SourceWidth, out.SourceHeight = s.w, s.h
	return out, nil
}

// TestBoxedSource: the mixer tells a source its tile once per layout, before
// it asks for a picture, places the pre-scaled pictures where a full-size one
// would go, and tells it again when the layout changes.
func TestBoxedSource(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 600*time.Millisecond)
	src := &boxedSource{colourSource: colourSource{y: 150, cb: 44, cr: 21, w: 400, h: 300}} // 4:3 into 16:9 tiles
	m.Add(Participant{ID: "a", Video: src})
	m.Add(Participant{ID: "b", Video: &removeAt{m: m, id: "b", at: 400 * time.Millisecond, src: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}}})
	run(t, m, 700*time.Millisecond)
	if src.boxes != 2 {
		t.Errorf("SetBox called %d times for two layouts", src.boxes)
	}
	if src.early {
		t.Error("the source was asked for a picture before it was told its tile")
	}
	size := layout.Size{W: 640, H: 360}
	for at, n := range map[time.Duration]int{200 * time.Millisecond: 2, 600 * time.Millisecond: 1} {
		cell := layout.Cells(layout.Grid, n, 0, size)[0]
		dst, _ := layout.Place(layout.Size{W: 400, H: 300}, cell, layout.Fit)
		img := tap.got[at]
		if y := lumaAt(img, dst); y != 150 {
			t.Errorf("%v: picture centre luma %d", at, y)
		}
		// Fit: pillarbox bars left and right of a 4:3 picture stay black.
		if y := img.Y[(dst.Y+dst.H/2)*img.YStride+dst.X-2]; dst.X > cell.X && y != codec.BlackY {
			t.Errorf("%v: bar luma %d", at, y)
		}
	}
}

// stalledBoxed is a source that scales its own pictures and whose stream
// stalled after its first one, made for its first tile: it keeps
// returning that picture, its 1280x720 source shrunk to 640x360. The
// picture has three bands across: 160 columns of luma 40, 320 of 200, 160
// of 40.
type stalledBoxed struct {
	f   *codec.Frame
	add func() // called once, at the first picture asked for from 300 ms
}

func (s *stalledBoxed) SetBox(layout.Size, layout.Aspect) {}

func (s *stalledBoxed) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	if s.f == nil {
		s.f = codec.NewFrame(640, 360)
		codec.FillRect(&s.f.YCbCr, s.f.Rect, 40, 128, 128)
		codec.FillRect(&s.f.YCbCr, image.Rect(160, 0, 480, 360), 200, 128, 128)
		s.f.Seq, s.f.SourceWidth, s.f.SourceHeight = 1, 1280, 720
	}
	if t >= 300*time.Millisecond && s.add != nil {
		s.add()
		s.add = nil
	}
	return s.f, nil
}

// TestStalledBoxedSourceKeepsItsShape: in fill mode, a picture the source
// scaled for its tile, shown again in a tile of another shape (its stream
// stalled when someone joined), is cropped to the new tile, not squeezed
// into it.
func TestStalledBoxedSourceKeepsItsShape(t *testing.T) {
	cfg := testConfig()
	cfg.Aspect = layout.Fill
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 500*time.Millisecond)
	src := &stalledBoxed{}
	src.add = func() { m.Add(Participant{ID: "b", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}}) }
	m.Add(Participant{ID: "a", Video: src})
	run(t, m, 600*time.Millisecond)
	// Alone, the whole picture fills the canvas: its left band shows.
	if img := tap.got[200*time.Millisecond]; img.Y[180*img.YStride+40] != 40 {
		t.Errorf("alone: luma %d at the left band, want 40", img.Y[180*img.YStride+40])
	}
	// Beside b, the 320x360 tile shows the picture's middle: the bright band
	// from edge to edge.
	cell := layout.Cells(layout.Grid, 2, 0, layout.Size{W: 640, H: 360})[0]
	img := tap.got[500*time.Millisecond]
	for _, x := range []int{cell.X + 8, cell.X + cell.W/2, cell.X + cell.W - 8} {
		if y := img.Y[(cell.Y+cell.H/2)*img.YStride+x]; y < 190 {
			t.Errorf("beside b: luma %d at x %d of a tile %v, want the middle band's 200 across", y, x, cell)
		}
	}
}

// TestMixMinusSharesQuiet: people who have been quiet for the hangover receive
// the full mix's own packets (no encode of their own); someone who starts
// talking gets their own mix-minus from that very frame.
func TestMixMinusSharesQuiet(t *testing.T) {
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: 0.063}, MixMinus: true})
	m.Add(Participant{ID: "mute", MixMinus: true})
	m.Add(Participant{ID: "late", Audio: &pausingTalker{to: 1500 * time.Millisecond, tone: toneSource{hz: 1230, amp: 0.063}}, MixMinus: true})
	run(t, m, 2*time.Second)
	full := map[time.Duration]string{}
	for _, f := range out.audio {
		full[f.PTS] = string(f.Data)
	}
	shared := func(id string, from, to time.Duration) (n, of int) {
		for _, f := range out.minus[id] {
			if f.PTS >= from && f.PTS < to {
				of++
				if full[f.PTS] == string(f.Data) {
					n++
				}
			}
		}
		return n, of
	}
	if n, of := shared("mute", 1100*time.Millisecond, 2*time.Second); n != of || of == 0 {
		t.Errorf("quiet participant: %d of %d packets shared with the full mix, want all", n, of)
	}
	if n, _ := shared("talker", 0, 2*time.Second); n != 0 {
		t.Errorf("talker: %d packets shared with the full mix, want none", n)
	}
	if n, of := shared("late", 1100*time.Millisecond, 1500*time.Millisecond); n != of {
		t.Errorf("late talker while quiet: %d of %d shared", n, of)
	}
	if n, of := shared("late", 1500*time.Millisecond, 2*time.Second); n != 0 || of == 0 {
		t.Errorf("late talker once talking: %d of %d shared, want none", n, of)
	}
	// Once talking, their own voice is out of their mix from the first frame.
	var talking []codec.EncodedFrame
	for _, f := range out.minus["late"] {
		if f.PTS >= 1500*time.Millisecond {
			talking = append(talking, f)
		}
	}
	pcm := decodeOpus(t, talking)
	for ch := range 2 {
		if a := goertzel(pcm, ch, 1230); a > 0.063/100 {
			t.Errorf("the late talker hears their own tone at %.4f in channel %d", a, ch)
		}
		if a := goertzel(pcm[len(pcm)/4:], ch, 440); math.Abs(20*math.Log10(a/0.063)) > 1.5 {
			t.Errorf("the late talker hears the talker at %.4f in channel %d, want 0.063", a, ch)
		}
	}
}

// toneKeepsItsLevel checks that from half a second on, the tone of
// amplitude amp that is all of pcm (interleaved stereo) peaks within db
// decibels of it in every 2.5 ms window (longer than the tone's period): a
// seam between two encoders' streams shows as a dip or a bump.
func toneKeepsItsLevel(t *testing.T, pcm []int16, amp, db float64) {
	t.Helper()
	const window = audio.SampleRate / 400
	for i := audio.SampleRate / 2; i+window <= len(pcm)/2; i += window {
		peak := 0.0
		for j := i; j < i+window; j++ {
			peak = max(peak, math.Abs(float64(pcm[2*j]))/32768)
		}
		if math.Abs(20*math.Log10(peak/amp)) > db {
			t.Errorf("at %v the talker's tone peaks at %.4f, want %.3f ± %.0f dB", time.Duration(i)*time.Second/audio.SampleRate, peak, amp, db)
		}
	}
}

// TestMixMinusResumesWithoutASeam: someone quiet receives the full mix's
// packets, then starts talking and receives their own; their one decoder
// goes from the first to the second with no seam. The talker's tone, all
// they hear either side of the switch, keeps its level through it (an own
// encoder started afresh began with its look-ahead's 6.5 ms of silence, a
// dropout in everyone else's voice at each of their first words). The
// late one is quiet for 2 s, past the 1.6 s hangover, so that they do
// receive the full mix's packets before they talk.
func TestMixMinusResumesWithoutASeam(t *testing.T) {
	const amp = 0.063
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: amp}, MixMinus: true})
	m.Add(Participant{ID: "late", Audio: &pausingTalker{to: 2 * time.Second, tone: toneSource{hz: 1230, amp: amp}}, MixMinus: true})
	run(t, m, 2500*time.Millisecond)
	full := map[time.Duration][]byte{}
	for _, f := range out.audio {
		full[f.PTS] = f.Data
	}
	shared := 0
	for _, f := range out.minus["late"] {
		if f.PTS < 2*time.Second && bytes.Equal(f.Data, full[f.PTS]) {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("the late one never received the full mix's packets: no switch to test")
	}
	toneKeepsItsLevel(t, decodeOpus(t, out.minus["late"]), amp, 3)
}

// TestMixMinusSharesWithoutASeam: someone stops talking, and a second
// later their stream passes from their own encoder to the full mix's
// packets, while a viewer's 20 % loss has the full mix's encoder code
// with FEC (another mode than their own, which expects none). The other
// talker's tone goes on through the switch within a decibel: their own
// encoder is set as the full mix's for the hangover's last 600 ms. (Set by
// their own loss alone, the tone dipped by 2.5 dB at the switch.)
func TestMixMinusSharesWithoutASeam(t *testing.T) {
	const amp = 0.063
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: amp}, MixMinus: true})
	m.Add(Participant{ID: "quitter", Audio: &pausingTalker{from: 500 * time.Millisecond, to: time.Hour, tone: toneSource{hz: 1230, amp: amp}}, MixMinus: true})
	m.Add(Participant{ID: "viewer"})
	m.SetAudioLoss("viewer", 20)
	run(t, m, 2500*time.Millisecond)
	if got := m.AudioLoss(); got != 20 {
		t.Fatalf("the full mix expects %d %% loss, want 20", got)
	}
	toneKeepsItsLevel(t, decodeOpus(t, out.minus["quitter"]), amp, 1)
}

// TestPauseKeepsTheTalkersMode: a talker pauses for 300 ms, as between
// words, or 900 ms, as between sentences, while a viewer's loss has the
// full mix's encoder code with FEC. Their own stream stays in the mode of
// their own (lossless) link all along: only a participant quiet for most
// of the hangover takes on the full mix's setting (with a hangover of a
// second, that began at 400 ms, and every pause between sentences
// switched the others' voices between two modes and back).
func TestPauseKeepsTheTalkersMode(t *testing.T) {
	const amp = 0.063
	for _, pause := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond} {
		out := &capture{}
		m, _ := New(testConfig(), out)
		m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: amp}, MixMinus: true})
		m.Add(Participant{ID: "pauser", Audio: &pausingTalker{from: time.Second, to: time.Second + pause, tone: toneSource{hz: 1230, amp: amp}}, MixMinus: true})
		m.Add(Participant{ID: "viewer"})
		m.SetAudioLoss("viewer", 20)
		run(t, m, 2*time.Second+pause)
		modes := map[byte]int{} // TOC configurations: mode and bandwidth
		for _, f := range out.minus["pauser"] {
			if f.PTS >= 500*time.Millisecond { // the loss report taken, the encoders settled
				modes[f.Data[0]>>3]++
			}
		}
		if len(modes) != 1 {
			t.Errorf("a pause of %v: the pauser's own packets came in TOC configurations %v (the full mix's last: %d), want one", pause, modes, out.audio[len(out.audio)-1].Data[0]>>3)
		}
	}
}

// pausingTalker talks (a tone), but not from one time to another (from 0:
// it starts late; to an hour: it stops).
type pausingTalker struct {
	from, to time.Duration
	tone     toneSource
}

func (s *pausingTalker) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t >= s.from && t < s.to {
		return false, nil
	}
	return s.tone.AudioAt(ctx, t, pcm)
}

// syllableTalker sounds its tone as a talker does: 200 ms, then a pause
// of 100 ms with nothing to play, and so on. A steady tone is taken for
// noise (a fan, a hum) once it has gone on for some seconds.
type syllableTalker struct {
	tone toneSource
}

func (s *syllableTalker) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t%(300*time.Millisecond) >= 200*time.Millisecond {
		return false, nil
	}
	return s.tone.AudioAt(ctx, t, pcm)
}

// TestTalkingTakesOnTheFullMixAfterSharing: someone back from quiet
// takes on the full mix's limiter and encoder exactly when their last
// packet was the full mix's, whichever tick of the hangover's end they
// speak on (on the tick after it ended, their own encoder used to have made
// the last packet, and the copy made a seam).
func TestTalkingTakesOnTheFullMixAfterSharing(t *testing.T) {
	cfg := testConfig()
	loud := frameOf(20000)
	for _, silent := range []int{quietHangover - 2, quietHangover - 1, quietHangover, quietHangover + 1} {
		var a audioState
		if err := a.init(cfg); err != nil {
			t.Fatal(err)
		}
		a.limiter.Process(make([]int16, audio.FrameLen), accumulated(loud, loud)) // its gain now below 1
		enc, err := codec.NewOpusEncoder(cfg.Audio)
		if err != nil {
			t.Fatal(err)
		}
		mem := &member{Participant: Participant{ID: "p"}, limiter: audio.NewLimiter(cfg.Limiter), enc: enc, pcm: loud, part: loud}
		a.assignSlot(mem)
		a.levels[mem.slot] = audio.Level(loud)
		mem.talking(&a, slog.Default())
		shared := false
		mem.part = nil
		for range silent {
			shared = mem.talking(&a, slog.Default()) == nil
		}
		mem.part = loud
		if mem.talking(&a, slog.Default()) == nil {
			t.Fatalf("after %d silent ticks: not talking while loud", silent)
		}
		if took := mem.limiter.Gain() == a.limiter.Gain(); took != shared {
			t.Errorf("after %d silent ticks (the last packet shared: %v): took on the full mix's state: %v", silent, shared, took)
		}
	}
}

func accumulated(pcms ...[]int16) []int32 {
	acc := make([]int32, audio.FrameLen)
	for _, p := range pcms {
		audio.Accumulate(acc, p)
	}
	return acc
}

// TestSetBitrateWhileRunning: a bitrate set while the mixer runs (as the
// room sets it from its receivers' reports) reaches the encoder with no
// keyframe: on busy pictures, the second that starts a second after the
// change carries about the new rate.
func TestSetBitrateWhileRunning(t *testing.T) {
	cfg := testConfig()
	cfg.Video.Width, cfg.Video.Height, cfg.Video.Bitrate = 320, 180, 600_000
	cfg.Video.KeyframeInterval = 1000 // no periodic keyframe within the run
	out := &capture{}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "a", Video: &lowerAt{m: m, at: 2 * time.Second, bps: 150_000}})
	run(t, m, 4*time.Second)
	if got := m.Bitrate(); got != 150_000 {
		t.Errorf("Bitrate() %d after the change, want 150000", got)
	}
	rate := func(from, to time.Duration) int {
		bytes := 0
		for _, f := range out.video {
			if f.PTS >= from && f.PTS < to {
				bytes += len(f.Data)
			}
		}
		return bytes * 8 * int(time.Second) / int(to-from)
	}
	if len(out.video) < 100 {
		t.Fatalf("%d pictures in 4 s", len(out.video))
	}
	for _, f := range out.video[1:] {
		if f.Key && f.PTS != 0 {
			t.Errorf("keyframe at %v", f.PTS)
		}
	}
	before, after := rate(time.Second, 2*time.Second), rate(3*time.Second, 4*time.Second)
	t.Logf("%d bit/s before, %d after", before, after)
	if before < 400_000 || after > 200_000 || after < 100_000 {
		t.Errorf("%d bit/s before the change to 150k and %d after, want ~600k and ~150k", before, after)
	}
}

// lowerAt is a source of busy pictures (new grey noise every frame) that sets
// the mixer's bitrate to bps when asked for the picture at time at.
type lowerAt struct {
	m     *Mixer
	at    time.Duration
	bps   int
	frame *codec.Frame
	n     uint64
}

func (s *lowerAt) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= s.at && s.bps > 0 {
		if err := s.m.SetBitrate(s.bps); err != nil {
			return nil, err
		}
		s.bps = 0
	}
	if s.frame == nil {
		s.frame = codec.NewFrame(320, 180)
	}
	s.n++
	rng := rand.New(rand.NewPCG(s.n, 0))
	for i := range s.frame.Y {
		s.frame.Y[i] = 112 + byte(rng.IntN(32))
	}
	s.frame.Seq, s.frame.PTS = s.n, t
	return s.frame, nil
}

// shortPlanes is a source whose pictures' chroma planes end early: what
// the scaler refuses.
type shortPlanes struct {
	colourSource
	cb, cr []byte // the whole planes, for the source to paint
}

func (s *shortPlanes) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if s.frame != nil {
		s.frame.Cb, s.frame.Cr = s.cb, s.cr
	}
	f, err := s.colourSource.VideoAt(ctx, t)
	if f != nil {
		s.cb, s.cr = f.Cb, f.Cr
		f.Cb, f.Cr = f.Cb[:8], f.Cr[:8]
	}
	return f, err
}

// TestUnscalablePictureKeepsRoomGoing: a picture the scaler refuses (its
// planes cut short) shows its participant's placeholder; the mixer goes on
// producing every picture, and the other participants' tiles are painted,
// one of them a picture 40,000 pixels wide (more than libyuv takes; mcu's
// own box shrink takes it).
func TestUnscalablePictureKeepsRoomGoing(t *testing.T) {
	cfg := testConfig()
	tap := tapAt(900 * time.Millisecond)
	cfg.Tap = tap.tap
	out := &capture{}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "a", Video: &colourSource{y: 120, cb: 60, cr: 200, w: 320, h: 180}})
	m.Add(Participant{ID: "b", Name: "short", Video: &shortPlanes{colourSource: colourSource{y: 200, cb: 128, cr: 128, w: 640, h: 360}}})
	m.Add(Participant{ID: "c", Name: "wide", Video: &colourSource{y: 180, cb: 128, cr: 128, w: 40000, h: 8}})
	run(t, m, time.Second)
	if len(out.video) != 30 {
		t.Errorf("%d pictures in 1 s, want 30", len(out.video))
	}
	cells := layout.Cells(layout.Grid, 3, 0, layout.Size{W: 640, H: 360})
	img := tap.got[900*time.Millisecond]
	if y := lumaAt(img, cells[0]); y != 120 {
		t.Errorf("the other tile shows luma %d, want 120", y)
	}
	want := codec.NewImage(640, 360)
	drawPlaceholder(want, rect(cells[1]), "short")
	if !bytes.Equal(tileLuma(img, cells[1]), tileLuma(want, cells[1])) {
		t.Error("the unscalable participant's tile is not its placeholder")
	}
	// Fitted, the picture is a strip two rows high across the tile's middle.
	strip := layout.Rect{X: cells[2].X, Y: cells[2].Y + cells[2].H/2 - 2, W: cells[2].W, H: 2}
	if y := lumaAt(img, strip); y != 180 {
		t.Errorf("the 40000x8 picture's tile shows luma %d across its middle, want 180 (its strip)", y)
	}
}

// tileLuma is the luma of one tile, row after row.
func tileLuma(img *image.YCbCr, c layout.Rect) []byte {
	var out []byte
	for y := c.Y; y < c.Y+c.H; y++ {
		o := y*img.YStride + c.X
		out = append(out, img.Y[o:o+c.W]...)
	}
	return out
}

// stuckOutput is an Output whose Video blocks until release is closed (a
// network write that stalls); it counts the audio frames written meanwhile.
type stuckOutput struct {
	release chan struct{}
	audio   atomic.Int32
}

func (o *stuckOutput) Video(codec.EncodedFrame) error {
	<-o.release
	return nil
}

func (o *stuckOutput) Audio(codec.EncodedFrame) error            { o.audio.Add(1); return nil }
func (o *stuckOutput) MixMinus(string, codec.EncodedFrame) error { return nil }

// TestLiveOutputStallKeepsTheSound: live, a stalled video output costs
// pictures (dropped), never the sound: the mixer loop does not wait for
// the encoder's goroutine to hand a picture on.
func TestLiveOutputStallKeepsTheSound(t *testing.T) {
	cfg := testConfig()
	cfg.Live = true
	out := &stuckOutput{release: make(chan struct{})}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, Audio: &toneSource{hz: 440, amp: 0.1}})
	// The video output stays stalled until 25 audio frames have come (500
	// ms, or more on a busy machine), for at most 10 s: a loop waiting on
	// the output would stop after two or three.
	var during atomic.Int32
	go func() {
		defer close(out.release)
		for end := time.Now().Add(10 * time.Second); out.audio.Load() < 25 && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		}
		during.Store(out.audio.Load())
	}()
	if err := m.Run(context.Background(), RealTime(), 800*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	<-out.release
	if n := during.Load(); n < 25 {
		t.Errorf("%d audio frames while the video output stalled, want 25", n)
	}
}

// silentRemover is an AudioSource of silence that removes a participant
// from the mix at its first tick at or after at.
type silentRemover struct {
	m  *Mixer
	id string
	at time.Duration
}

func (s *silentRemover) AudioAt(_ context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t >= s.at {
		s.m.Remove(s.id)
	}
	clear(pcm)
	return true, nil
}

// TestSpeakerLeavingHandsTheTileOver: in the speaker layout, the speaker
// leaves between an audio tick and a picture. The picture shows the
// loudest of the others large at once, not whoever is first in the list
// until the next audio tick picks someone.
func TestSpeakerLeavingHandsTheTileOver(t *testing.T) {
	cfg := testConfig()
	cfg.Layout = layout.Speaker
	// Audio ticks every 20 ms, pictures every 33.3: the one removing the
	// speaker at 1.02 s takes effect at the picture of 1.0333 s.
	const gone = 1020 * time.Millisecond
	picture := time.Second + time.Second/30
	m, tap := tappedMixer(t, cfg, picture)
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, Audio: &toneSource{hz: 440, amp: 0.3}})
	m.Add(Participant{ID: "c", Video: &colourSource{y: 41, cb: 240, cr: 110, w: 320, h: 180}, Audio: &silentRemover{m: m, id: "a", at: gone}})
	m.Add(Participant{ID: "b", Video: &colourSource{y: 145, cb: 54, cr: 34, w: 320, h: 180}, Audio: &toneSource{hz: 700, amp: 0.1}})
	run(t, m, picture+time.Second/30)
	img := tap.got[picture]
	if img == nil {
		t.Fatal("no picture tapped")
	}
	size := layout.Size{W: cfg.Video.Width, H: cfg.Video.Height}
	big := layout.Cells(layout.Speaker, 2, 1, size)[1] // b, second of c and b
	if y := lumaAt(img, big); y != 145 {
		t.Errorf("the large tile's luma %d after the speaker left, want b's 145 (c's is 41)", y)
	}
}

// flakySource fails its video and audio within [from, to) and in
// [again, ∞) (again 0: never), and works otherwise.
type flakySource struct {
	colourSource
	tone            toneSource
	from, to, again time.Duration
}

func (s *flakySource) failing(t time.Duration) bool {
	return t >= s.from && t < s.to || s.again > 0 && t >= s.again
}

func (s *flakySource) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if s.failing(t) {
		return nil, errors.New("broken stream")
	}
	return s.colourSource.VideoAt(ctx, t)
}

func (s *flakySource) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if s.failing(t) {
		return false, errors.New("broken stream")
	}
	return s.tone.AudioAt(ctx, t, pcm)
}

// TestBrokenSourceWarnsOncePerRun: a source that fails at every tick for a
// while is warned about once, for its video and for its audio, and once
// again when it fails again after working.
func TestBrokenSourceWarnsOncePerRun(t *testing.T) {
	var logs bytes.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	src := &flakySource{colourSource: colourSource{y: 120, cb: 60, cr: 200, w: 320, h: 180}, tone: toneSource{hz: 440, amp: 0.1},
		from: 200 * time.Millisecond, to: 600 * time.Millisecond, again: 900 * time.Millisecond}
	if err := m.Add(Participant{ID: "a", Video: src, Audio: src}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 1200*time.Millisecond)
	for _, what := range []string{`msg="video source"`, `msg="audio source"`} {
		if n := strings.Count(logs.String(), what); n != 2 {
			t.Errorf("%s warned %d times over two runs of failures, want 2:\n%s", what, n, logs.String())
		}
	}
}

// turningSource has no picture until 300 ms (a camera starting), then a
// 4:3 one, then from 600 ms a 3:4 one (a phone turned upright).
type turningSource struct{ land, port colourSource }

func (s *turningSource) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	switch {
	case t < 300*time.Millisecond:
		return nil, nil
	case t < 600*time.Millisecond:
		return s.land.VideoAt(ctx, t)
	}
	f, err := s.port.VideoAt(ctx, t)
	f.Seq += 1000 // a new picture, whatever the other source's count
	return f, err
}

// TestBarsFollowThePicture: the letterbox bars are painted whenever the
// picture's place in its tile changes within one layout: over the
// placeholder when the first picture comes, over the wider picture when a
// narrower one follows it.
func TestBarsFollowThePicture(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 400*time.Millisecond, 800*time.Millisecond)
	m.Add(Participant{ID: "a", Name: "Ada", Video: &turningSource{
		land: colourSource{y: 150, cb: 44, cr: 21, w: 400, h: 300},
		port: colourSource{y: 180, cb: 44, cr: 21, w: 300, h: 400},
	}})
	run(t, m, 900*time.Millisecond)
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: 640, H: 360})[0]
	land, _ := layout.Place(layout.Size{W: 400, H: 300}, cell, layout.Fit)
	port, _ := layout.Place(layout.Size{W: 300, H: 400}, cell, layout.Fit)
	luma := func(at time.Duration, x, y int) uint8 {
		img := tap.got[at]
		return img.Y[y*img.YStride+x]
	}
	mid := cell.Y + cell.H/2
	if y := luma(200*time.Millisecond, land.X-2, mid); y == codec.BlackY {
		t.Fatalf("placeholder: luma %d beside the picture's place, want the placeholder's", y)
	}
	if y := luma(400*time.Millisecond, land.X-2, mid); y != codec.BlackY {
		t.Errorf("4:3 picture over the placeholder: bar luma %d, want %d", y, codec.BlackY)
	}
	if y := luma(400*time.Millisecond, land.X+land.W/2, mid); y != 150 {
		t.Errorf("4:3 picture: luma %d, want 150", y)
	}
	for _, x := range []int{land.X + 2, port.X - 2} { // where the 4:3 picture was
		if y := luma(800*time.Millisecond, x, mid); y != codec.BlackY {
			t.Errorf("3:4 picture after a 4:3 one: bar luma %d at x %d, want %d", y, x, codec.BlackY)
		}
	}
	if y := luma(800*time.Millisecond, port.X+port.W/2, mid); y != 180 {
		t.Errorf("3:4 picture: luma %d, want 180", y)
	}
}

// TestSoftTalkerKeepsTheirMixMinus: someone talking softly (−45 dBFS, a
// quiet voice or a microphone far away) is not taken for quiet: they keep
// a mix without their own voice, which the full mix would give back to
// them at their own level.
func TestSoftTalkerKeepsTheirMixMinus(t *testing.T) {
	const soft = 0.008 // a sine of −45 dBFS RMS
	out := &capture{}
	m, _ := New(testConfig(), out)
	m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: 0.063}, MixMinus: true})
	m.Add(Participant{ID: "soft", Audio: &toneSource{hz: 1230, amp: soft}, MixMinus: true})
	run(t, m, 3*time.Second)
	full := map[time.Duration]string{}
	for _, f := range out.audio {
		full[f.PTS] = string(f.Data)
	}
	var late []codec.EncodedFrame // after more than the hangover
	for _, f := range out.minus["soft"] {
		if full[f.PTS] == string(f.Data) {
			t.Fatalf("the soft talker receives the full mix's packet at %v", f.PTS)
		}
		if f.PTS >= 2*time.Second {
			late = append(late, f)
		}
	}
	if len(late) == 0 {
		t.Fatal("no mix-minus for the soft talker after 2 s")
	}
	pcm := decodeOpus(t, late)
	for ch := range 2 {
		if a := goertzel(pcm[len(pcm)/4:], ch, 1230); a > soft/10 {
			t.Errorf("the soft talker hears their own tone at %.5f in channel %d (theirs: %.3f)", a, ch, soft)
		}
	}
}

// TestSpeakerFallsSilent: in the speaker layout, a speaker whose sound
// stops (a pause with nothing to play, a file that ended) hands the large
// tile to someone still talking, however softly, rather than keeping it
// on the last level they had.
func TestSpeakerFallsSilent(t *testing.T) {
	cfg := testConfig()
	cfg.Layout = layout.Speaker
	// a's average (−13.5 dBFS) falls 14.5 dB a second once it is silent:
	// 6 dB under b's −45 dBFS (a −43 dBFS tone two thirds of the time) by
	// 3.6 s, and b takes the tile a hold later.
	const picture = 5 * time.Second
	m, tap := tappedMixer(t, cfg, time.Second, picture)
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180},
		Audio: &pausingTalker{from: time.Second, to: time.Hour, tone: toneSource{hz: 440, amp: 0.3}}})
	m.Add(Participant{ID: "b", Video: &colourSource{y: 145, cb: 54, cr: 34, w: 320, h: 180},
		Audio: &syllableTalker{tone: toneSource{hz: 700, amp: 0.01}}})
	run(t, m, picture+time.Second/30)
	size := layout.Size{W: cfg.Video.Width, H: cfg.Video.Height}
	if y := lumaAt(tap.got[time.Second], layout.Cells(layout.Speaker, 2, 0, size)[0]); y != 81 {
		t.Fatalf("the large tile's luma %d while a talks, want a's 81", y)
	}
	if y := lumaAt(tap.got[picture], layout.Cells(layout.Speaker, 2, 1, size)[1]); y != 145 {
		t.Errorf("the large tile's luma %d four seconds after a fell silent, want b's 145 (a's is 81)", y)
	}
}

// keyAskedOnce asks the mixer for a keyframe once, at its first picture
// from 1 s on.
type keyAskedOnce struct {
	colourSource
	m     *Mixer
	asked bool
}

func (k *keyAskedOnce) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= time.Second && !k.asked {
		k.asked = true
		k.m.RequestKeyframe()
	}
	return k.colourSource.VideoAt(ctx, t)
}

// TestKeyframeRequestServedOnce: one request makes one keyframe, and then
// none until the next periodic one: a request served is forgotten.
func TestKeyframeRequestServedOnce(t *testing.T) {
	out := &capture{}
	cfg := testConfig()
	if cfg.Video.KeyframeInterval <= 4*cfg.Video.FPS {
		t.Fatalf("periodic keyframes every %d pictures: within the test's 4 s", cfg.Video.KeyframeInterval)
	}
	m, _ := New(cfg, out)
	m.Add(Participant{ID: "a", Video: &keyAskedOnce{colourSource: colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, m: m}})
	run(t, m, 4*time.Second)
	var keys []time.Duration
	for _, f := range out.video {
		if f.Key {
			keys = append(keys, f.PTS)
		}
	}
	if len(keys) != 2 || keys[0] != 0 || keys[1] < time.Second || keys[1] > time.Second+100*time.Millisecond {
		t.Errorf("keyframes at %v, want the first picture's and one at the request (1 s)", keys)
	}
}
