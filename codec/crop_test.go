package codec

import (
	"image"
	"image/color"
	"testing"
)

// TestCopyRectCropsChroma: a rectangle copied from the middle of a picture
// whose halves differ in colour takes its chroma from the same columns
// and rows as its luma (half of them), not from further right or down.
func TestCopyRectCropsChroma(t *testing.T) {
	src := NewImage(640, 360)
	FillRect(src, image.Rect(0, 0, 320, 360), 60, 90, 210)
	FillRect(src, image.Rect(320, 0, 640, 180), 180, 200, 40)
	FillRect(src, image.Rect(320, 180, 640, 360), 120, 150, 100)
	dst := NewImage(400, 240)
	CopyRect(dst, image.Pt(40, 20), src, image.Rect(160, 90, 480, 270))
	for y := range 240 {
		for x := range 400 {
			// Inside the copy, the source's pixel at the same place less
			// the offsets; outside, black.
			want := color.YCbCr{BlackY, GreyUV, GreyUV}
			if sx, sy := x-40+160, y-20+90; x >= 40 && x < 360 && y >= 20 && y < 200 {
				want = color.YCbCr{src.Y[src.YOffset(sx, sy)], src.Cb[src.COffset(sx, sy)], src.Cr[src.COffset(sx, sy)]}
			}
			if got := (color.YCbCr{dst.Y[dst.YOffset(x, y)], dst.Cb[dst.COffset(x, y)], dst.Cr[dst.COffset(x, y)]}); got != want {
				t.Fatalf("(%d,%d): YCbCr %v, want %v", x, y, got, want)
			}
		}
	}
}
