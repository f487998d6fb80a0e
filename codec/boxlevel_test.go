//go:build cgo

package codec

import (
	"fmt"
	"image"
	"testing"

	"github.com/asticode/go-astiav"

	"mcu/layout"
)

// TestScalerBoxKeepsTheLevelAtLargeRatios: a flat grey camera picture
// shrunk into a tile must stay that grey. The tiles are the real ones of
// the speaker layout's strip and of the grid on the default canvas, and of
// the smallest canvas the flags accept, for rooms the server allows
// (-max-participants up to 100); the cameras are 720p, 1080p and 4K.
// libyuv's box filter divides each box's sum by 65536/(box area) in
// integers and sums up to 257 rows in 16 bits, so large ratios come out
// darker, striped, or black.
func TestScalerBoxKeepsTheLevelAtLargeRatios(t *testing.T) {
	type tc struct {
		name string
		tile layout.Rect
	}
	var cases []tc
	for _, n := range []int{8, 26, 60, 100} {
		cells := layout.SpeakerCells(n, 0, layout.DefaultCanvas)
		cases = append(cases, tc{fmt.Sprintf("1280x720 speaker n=%d thumbnail", n), cells[1]})
	}
	for _, n := range []int{49, 100} {
		cases = append(cases, tc{fmt.Sprintf("1280x720 grid n=%d", n), layout.GridCells(n, layout.DefaultCanvas)[0]})
	}
	for _, n := range []int{1, 4} {
		cases = append(cases, tc{fmt.Sprintf("16x16 grid n=%d", n), layout.GridCells(n, layout.Size{W: 16, H: 16})[0]})
	}
	var s Scaler
	defer s.Close()
	for _, cam := range []image.Point{{1280, 720}, {1920, 1080}, {3840, 2160}} {
		src := NewFrame(cam.X, cam.Y)
		FillRect(&src.YCbCr, src.Rect, 200, 128, 128)
		for _, c := range cases {
			dst, crop := layout.Place(layout.Size{W: cam.X, H: cam.Y}, c.tile, layout.Fit)
			canvas := NewImage(1280, 720)
			r := image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)
			if err := s.Scale(canvas, r, &src.YCbCr, image.Rect(crop.X, crop.Y, crop.X+crop.W, crop.Y+crop.H)); err != nil {
				t.Fatal(err)
			}
			lo, hi := 255, 0
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					v := int(canvas.Y[y*canvas.YStride+x])
					lo, hi = min(lo, v), max(hi, v)
				}
			}
			if lo < 199 || hi > 201 {
				t.Errorf("%dx%d camera into %s (%dx%d): luma %d..%d, want 200", cam.X, cam.Y, c.name, dst.W, dst.H, lo, hi)
			}
		}
	}
}

// TestDecoderTileKeepsBlackAtLargeRatios is the same for the live path: a
// participant's decoder scales each picture into their tile
// (frameConverter.toFrame, libyuv's box filter) before the mixer sees it.
// A black 1080p or 4K camera picture in a speaker-layout thumbnail of a
// 60- or 100-person room must stay black (16), not turn darker than black.
func TestDecoderTileKeepsBlackAtLargeRatios(t *testing.T) {
	for _, cam := range []image.Point{{1920, 1080}, {3840, 2160}} {
		f := astiav.AllocFrame()
		t.Cleanup(f.Free)
		f.SetWidth(cam.X)
		f.SetHeight(cam.Y)
		f.SetPixelFormat(astiav.PixelFormatYuv420P)
		f.SetColorRange(astiav.ColorRangeMpeg)
		if err := f.AllocBuffer(0); err != nil {
			t.Fatal(err)
		}
		if err := f.ImageFillBlack(); err != nil {
			t.Fatal(err)
		}
		var c frameConverter
		defer c.close()
		for _, n := range []int{60, 100} {
			tile := layout.SpeakerCells(n, 0, layout.DefaultCanvas)[1]
			dst := &Frame{}
			target := func(w, h int) (image.Rectangle, image.Point) {
				d, crop := layout.Place(layout.Size{W: w, H: h}, tile, layout.Fit)
				return image.Rect(crop.X, crop.Y, crop.X+crop.W, crop.Y+crop.H), image.Pt(d.W, d.H)
			}
			if err := c.toFrame(dst, f, target); err != nil {
				t.Fatal(err)
			}
			if v := dst.Y[0]; v < 15 || v > 17 {
				t.Errorf("%v camera into a speaker thumbnail of %d people (%v): black luma %d, want 16; chroma %d, want 128",
					cam, n, dst.Rect.Size(), v, dst.Cb[0])
			}
		}
	}
}
