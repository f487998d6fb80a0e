package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// darkSource is a dark room's camera: every picture luma dark all over,
// and on every other one a little noise above the black threshold at one
// of the points blackPicture looks at (sensor noise at high gain).
type darkSource struct {
	y     uint8
	frame *codec.Frame
	black func(k uint64) bool // the k-th picture is black all over
}

func (s *darkSource) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	k := uint64(t * 30 / time.Second)
	if s.frame == nil {
		s.frame = codec.NewFrame(320, 180)
	}
	if s.frame.Seq != k+1 {
		codec.FillRect(&s.frame.YCbCr, s.frame.Rect, s.y, 128, 128)
		if !s.black(k) {
			s.frame.Y[(180*7/16)*s.frame.YStride+320*9/16] = s.y + 8
		}
		s.frame.Seq, s.frame.PTS = k+1, time.Duration(k)*time.Second/30
	}
	return s.frame, nil
}

// TestDarkRoomDoesNotFlicker: live, a dark room's camera whose pictures are
// now and then all below the black threshold (noise decides) is shown
// throughout, not switched to the placeholder and back from one picture to
// the next; a camera turned off (black pictures for good) still gets the
// placeholder, and keeps it.
func TestDarkRoomDoesNotFlicker(t *testing.T) {
	for _, c := range []struct {
		name        string
		black       func(k uint64) bool
		placeholder func(tick int) bool // the tile shows the placeholder at this tick
	}{
		{"dark room", func(k uint64) bool { return k%2 == 0 }, func(int) bool { return false }},
		{"dark room, black runs", func(k uint64) bool { return k%8 < 5 }, func(int) bool { return false }},
		{"camera off", func(uint64) bool { return true }, func(tick int) bool { return tick >= 30 }},
	} {
		cfg := testConfig()
		cfg.Live = true
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := codec.NewPicture(cfg.Video.Width, cfg.Video.Height)
		if err != nil {
			t.Fatal(err)
		}
		c0 := newCanvas(p, 0)
		if err := m.Add(Participant{ID: "a", Name: "Ada", Video: &darkSource{y: 19, black: c.black}}); err != nil {
			t.Fatal(err)
		}
		cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0]
		corner := layout.Rect{X: cell.X + 4, Y: cell.Y + 4, W: 2, H: 2}
		flips, wrong, was := 0, 0, false
		for tick := range 60 {
			tt := time.Duration(tick) * time.Second / 30
			st := m.sync(tt)
			m.updateCells(st.mode)
			img, err := m.paintCanvas(context.Background(), c0, tt)
			if err != nil {
				t.Fatal(err)
			}
			ph := lumaAt(img, corner) == placeholderY
			if tick > 0 && ph != was {
				flips++
			}
			if ph != c.placeholder(tick) {
				wrong++
			}
			was = ph
		}
		if wrong > 0 {
			t.Errorf("%s: the tile showed the wrong thing at %d of 60 ticks (%d switches between picture and placeholder)", c.name, wrong, flips)
		}
		m.scaler.Close()
		p.Free()
	}
}
