package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// TestBlackPictureShowsWhoItIs: live, a participant whose pictures are
// black all over (a browser's camera turned off sends black frames) gets
// the placeholder with their name, as one without a camera does, until a
// picture that is not black comes; a very dark picture with something in
// it is shown; offline (mcu mix) black is shown as it is.
func TestBlackPictureShowsWhoItIs(t *testing.T) {
	for _, live := range []bool{true, false} {
		cfg := testConfig()
		cfg.Live = live
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.scaler.Close()
		p, err := codec.NewPicture(cfg.Video.Width, cfg.Video.Height)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Free()
		c := newCanvas(p, 0)
		src := &colourSource{y: 0, cb: 128, cr: 128, w: 320, h: 180}
		if err := m.Add(Participant{ID: "a", Name: "Ada", Video: src}); err != nil {
			t.Fatal(err)
		}
		cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0]
		corner := layout.Rect{X: cell.X + 4, Y: cell.Y + 4, W: 2, H: 2} // lumaAt reads its centre
		paint := func(tick int) uint8 {
			t.Helper()
			tt := time.Duration(tick) * time.Second / 30
			st := m.sync(tt)
			m.updateCells(st.mode)
			img, err := m.paintCanvas(context.Background(), c, tt)
			if err != nil {
				t.Fatal(err)
			}
			return lumaAt(img, corner)
		}
		if y := paint(0); y > 20 {
			t.Errorf("live %v, a first black picture: luma %d at the tile's corner, want black (not yet the placeholder)", live, y)
		}
		if y := paint(30); live && y != placeholderY || !live && y > 20 {
			t.Errorf("live %v, black pictures for %v: luma %d at the tile's corner, want %d live (the placeholder), black offline", live, blackHold, y, placeholderY)
		}
		src.y, src.frame = 60, nil // a picture again
		if y := paint(33); y < 55 || y > 65 {
			t.Errorf("live %v, a picture after black ones: luma %d, want ~60", live, y)
		}
		// Dark, with one bright spot: a dark room, not a camera off.
		src.y, src.frame = 20, nil
		src.VideoAt(context.Background(), 36*time.Second/30)
		src.frame.Y[(180*9/16)*src.frame.YStride+320*9/16] = 200 // at one of the points looked at
		if y := paint(36); y < 17 || y > 23 {
			t.Errorf("live %v, a dark picture with something in it: luma %d at the corner, want ~20 (shown)", live, y)
		}
	}
	for _, c := range []struct {
		y, cb, cr uint8
		black     bool
	}{{0, 128, 128, true}, {16, 128, 128, true}, {24, 131, 125, true}, {25, 128, 128, false}, {16, 140, 128, false}, {16, 128, 110, false}} {
		f := codec.NewFrame(64, 36)
		codec.FillRect(&f.YCbCr, f.Rect, c.y, c.cb, c.cr)
		if got := blackPicture(&f.YCbCr); got != c.black {
			t.Errorf("a picture of %d/%d/%d: black %v, want %v", c.y, c.cb, c.cr, got, c.black)
		}
	}
}

// TestStoppedCameraShowsWhoItIs: live, a sender whose pictures stop
// coming (a camera unplugged, a track stopped: a browser then sends
// nothing) has its tile say who it is once its last picture is over
// videoGone old, not a face frozen for good; its pictures coming again
// are shown. Offline, pictures have no arrival and are never gone.
func TestStoppedCameraShowsWhoItIs(t *testing.T) {
	m, c, epoch := liveCompositor(t)
	cfg := m.cfg
	src := &stoppingSource{colourSource: colourSource{y: 90, cb: 128, cr: 128, w: 320, h: 180}, epoch: epoch, stop: time.Second}
	if err := m.Add(Participant{ID: "a", Name: "Ada", Video: src}); err != nil {
		t.Fatal(err)
	}
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0]
	corner := layout.Rect{X: cell.X + 4, Y: cell.Y + 4, W: 2, H: 2}
	paint := func(at time.Duration) uint8 {
		t.Helper()
		st := m.sync(at)
		m.updateCells(st.mode)
		img, err := m.paintCanvas(context.Background(), c, at)
		if err != nil {
			t.Fatal(err)
		}
		return lumaAt(img, corner)
	}
	for _, c := range []struct {
		at   time.Duration
		stop time.Duration
		want uint8
	}{
		{500 * time.Millisecond, time.Second, 90},                         // sending
		{time.Second + videoGone - 100*time.Millisecond, time.Second, 90}, // stopped, its last picture still shown
		{time.Second + videoGone + 100*time.Millisecond, time.Second, placeholderY},
		{9 * time.Second, time.Hour, 90}, // sending again
	} {
		src.stop = c.stop
		if y := paint(c.at); y < c.want-5 || y > c.want+5 {
			t.Errorf("at %v, pictures stopped at %v: luma %d at the tile's corner, want %d", c.at, c.stop, y, c.want)
		}
	}
}

// stoppingSource is a colourSource whose pictures arrive live up to stop
// (media time), then stop coming: the last one stays.
type stoppingSource struct {
	colourSource
	epoch time.Time
	stop  time.Duration
}

func (s *stoppingSource) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	f, err := s.colourSource.VideoAt(ctx, min(t, s.stop))
	if f != nil {
		f.Arrival = s.epoch.Add(f.PTS)
	}
	return f, err
}

// liveCompositor is a live mixer of testConfig's canvas whose clock
// started now (its epoch, returned), and a canvas to paint, all freed at
// the test's end.
func liveCompositor(t *testing.T) (*Mixer, *canvas, time.Time) {
	t.Helper()
	cfg := testConfig()
	cfg.Live = true
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.scaler.Close() })
	p, err := codec.NewPicture(cfg.Video.Width, cfg.Video.Height)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Free)
	epoch := time.Now()
	m.epoch.Store(&epoch)
	return m, newCanvas(p, 0), epoch
}
