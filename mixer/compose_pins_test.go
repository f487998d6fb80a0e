package mixer

import (
	"context"
	"fmt"
	"image"
	"sync"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// TestPlaceholderIsNotRedrawnEveryTick: a placeholder tile (no picture,
// nothing changed) is painted once per canvas and layout, not rendered
// again (font and all) at every tick. The tap scribbles a mark into the
// tile of both canvases; later canvases must still carry it.
func TestPlaceholderIsNotRedrawnEveryTick(t *testing.T) {
	cfg := testConfig()
	var mu sync.Mutex
	frame := time.Second / 30
	marked := map[time.Duration]bool{}
	var cell layout.Rect
	var lost []time.Duration
	cfg.Tap = func(img *image.YCbCr, at time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		o := (cell.Y+2)*img.YStride + cell.X + 2
		switch {
		case at == cfg.videoTick(10) || at == cfg.videoTick(11):
			img.Y[o] = 255
			marked[at] = true
		case at > cfg.videoTick(11) && img.Y[o] != 255:
			lost = append(lost, at)
		}
		return nil
	}
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	cell = layout.Cells(layout.Grid, 2, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[1]
	m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}})
	m.Add(Participant{ID: "b", Name: "Bea"})
	run(t, m, 20*frame)
	if len(marked) != 2 {
		t.Fatalf("marked %d canvases", len(marked))
	}
	if len(lost) > 0 {
		t.Errorf("the placeholder was painted again at %v though nothing changed", lost)
	}
}

// addAt adds a participant from inside the tick at a given time, once.
type addAt struct {
	colourSource
	m    *Mixer
	p    Participant
	at   time.Duration
	done bool
}

func (s *addAt) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if t >= s.at && !s.done {
		s.done = true
		s.m.Add(s.p)
	}
	return s.colourSource.VideoAt(ctx, t)
}

// TestBrokenSourceShowsPlaceholderAfterLayoutChange: a source that fails
// without a picture keeps its tile's last picture only while the layout
// holds (VideoSource's contract); when the layout changes, its new tile
// shows the placeholder, not a black hole.
func TestBrokenSourceShowsPlaceholderAfterLayoutChange(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 800*time.Millisecond)
	m.Add(Participant{ID: "a", Name: "Ada", Video: &colourSource{y: 120, cb: 60, cr: 200, w: 320, h: 180, failAfter: 300 * time.Millisecond, failNil: true}})
	m.Add(Participant{ID: "b", Video: &addAt{colourSource: colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, m: m,
		p: Participant{ID: "c", Video: &colourSource{y: 41, cb: 240, cr: 110, w: 320, h: 180}}, at: 500 * time.Millisecond}})
	run(t, m, 900*time.Millisecond)
	cell := layout.Cells(layout.Grid, 3, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0]
	img := tap.got[800*time.Millisecond]
	if y := img.Y[(cell.Y+4)*img.YStride+cell.X+4]; y != placeholderY {
		t.Errorf("the broken source's new tile: corner luma %d, want the placeholder's %d", y, placeholderY)
	}
}

// TestBoxedSourceInEmptyTileIsTold: more people than a 16x16 canvas can
// show: every tile is empty, and every source that scales its own pictures
// still hears of its (empty) tile once: an offline decoder waits for it.
func TestBoxedSourceInEmptyTileIsTold(t *testing.T) {
	cfg := testConfig()
	cfg.Video.Width, cfg.Video.Height = 16, 16
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	var srcs []*boxedSource
	for i := range 70 {
		s := &boxedSource{colourSource: colourSource{y: 150, cb: 44, cr: 21, w: 64, h: 36}}
		srcs = append(srcs, s)
		if err := m.Add(Participant{ID: fmt.Sprint(i), Video: s}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, m, 100*time.Millisecond)
	for i, s := range srcs {
		if s.boxes != 1 {
			t.Fatalf("source %d in an empty tile was told its box %d times, want once", i, s.boxes)
		}
	}
}
