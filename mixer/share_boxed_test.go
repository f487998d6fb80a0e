package mixer

import (
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// TestBoxedContentKeepsItsBars: a live share whose decoder fits its
// pictures to its tile itself (a BoxedSource, as LiveVideo is) is shown
// whole, bars beside a 4:3 screen, in a room that crops the cameras to
// fill their tiles: the picture it fitted is not cropped again to fill
// the tile, which would cut off the screen's edges.
func TestBoxedContentKeepsItsBars(t *testing.T) {
	cfg := testConfig()
	cfg.Aspect = layout.Fill
	cfg.Layout = layout.Speaker
	m, tap := tappedMixer(t, cfg, 500*time.Millisecond)
	if err := m.Add(Participant{ID: "cam", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}}); err != nil {
		t.Fatal(err)
	}
	screen := &boxedSource{colourSource: colourSource{y: 150, cb: 44, cr: 21, w: 400, h: 300}}
	if err := m.Add(Participant{ID: "screen", Video: screen, Content: true}); err != nil {
		t.Fatal(err)
	}
	run(t, m, time.Second)
	img := tap.got[500*time.Millisecond]
	if img == nil {
		t.Fatal("no canvas at 0.5 s")
	}
	large := layout.SpeakerCells(2, 1, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[1]
	dst, _ := layout.Place(layout.Size{W: 400, H: 300}, large, layout.Fit)
	if dst.X < large.X+4 {
		t.Fatalf("the screen fills the tile's width (%v in %v): the test shows nothing", dst, large)
	}
	if y := img.Y[(large.Y+large.H/2)*img.YStride+large.X+1]; y != codec.BlackY {
		t.Errorf("the large tile's left edge has luma %d, want the black bar (%d) beside the whole screen", y, codec.BlackY)
	}
	if y := img.Y[(dst.Y+dst.H/2)*img.YStride+dst.X+1]; y < 147 || y > 153 {
		t.Errorf("the screen's own left edge has luma %d, want its 150", y)
	}
}
