package mixer

import (
	"bytes"
	"context"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// TestDarkTintedPictureIsNotBlack: a dark picture with a colour cast
// (a room lit only by a screen's blue or a lamp's amber: luma at black,
// chroma off grey either way) is a camera that shows something, not one
// turned off: its tile keeps it. A browser's disabled track is black and
// grey, within a few steps.
func TestDarkTintedPictureIsNotBlack(t *testing.T) {
	for _, c := range []struct {
		name   string
		cb, cr uint8
		black  bool
	}{
		{"black", 128, 128, true},
		{"black, chroma noise", 124, 133, true},
		{"amber cast (Cb low)", 112, 140, false},
		{"blue cast (Cb high)", 150, 120, false},
		{"green cast (Cr low)", 128, 110, false},
		{"red cast (Cr high)", 128, 146, false},
		{"Cb just low", 128 - 7, 128, false},
		{"Cr just low", 128, 128 - 7, false},
	} {
		f := codec.NewFrame(320, 180)
		codec.FillRect(&f.YCbCr, f.Rect, 18, c.cb, c.cr)
		if got := blackPicture(&f.YCbCr); got != c.black {
			t.Errorf("%s (Y 18, Cb %d, Cr %d): black %v, want %v", c.name, c.cb, c.cr, got, c.black)
		}
	}
}

// lateShortPlanes shows nothing until from, then pictures the scaler
// refuses (shortPlanes).
type lateShortPlanes struct {
	shortPlanes
	from time.Duration
}

func (s *lateShortPlanes) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	if t < s.from {
		return nil, nil
	}
	return s.shortPlanes.VideoAt(ctx, t)
}

// TestUnscalablePictureAfterPlaceholderShowsIt: a participant shown by
// their placeholder (no picture yet) whose first pictures cannot be
// scaled, and are not of the tile's shape, keeps showing their
// placeholder: not the black of the letterbox bars painted before the
// scaler refused.
func TestUnscalablePictureAfterPlaceholderShowsIt(t *testing.T) {
	cfg := testConfig()
	tap := tapAt(900 * time.Millisecond)
	cfg.Tap = tap.tap
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "b", Name: "short", Video: &lateShortPlanes{
		shortPlanes: shortPlanes{colourSource: colourSource{y: 200, cb: 128, cr: 128, w: 360, h: 270}},
		from:        300 * time.Millisecond,
	}})
	run(t, m, time.Second)
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0]
	want := codec.NewImage(cfg.Video.Width, cfg.Video.Height)
	drawPlaceholder(want, rect(cell), "short")
	if !bytes.Equal(tileLuma(tap.got[900*time.Millisecond], cell), tileLuma(want, cell)) {
		t.Errorf("the tile shows luma %d at its centre, not the placeholder", lumaAt(tap.got[900*time.Millisecond], cell))
	}
}
