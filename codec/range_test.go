//go:build cgo

package codec

import (
	"image"
	"testing"

	"github.com/asticode/go-astiav"
)

// TestScalerMapsFullRangeExtremes: full-range white and black (Y 255 and
// 0) with the most extreme chroma (Cb 0, Cr 255) come out at the ends of
// video range, Y 235 and 16, Cb 16, Cr 240, in every sample and through
// every path a tile size takes (copy, two-thirds, box halving, swscale),
// so each chroma plane is mapped on its own scale and luma on its own.
func TestScalerMapsFullRangeExtremes(t *testing.T) {
	for _, tc := range []struct {
		name           string
		y              uint8 // full-range luma in
		wantY          uint8
		wantCb, wantCr uint8
	}{
		{"white", 255, 235, 16, 240},
		{"black", 0, 16, 16, 240},
	} {
		f := blackFrame(t, astiav.PixelFormatYuv420P, astiav.ColorRangeJpeg, astiav.ColorRangeJpeg)
		img, err := (&Picture{f: f}).Image()
		if err != nil {
			t.Fatal(err)
		}
		FillRect(img, img.Rect, tc.y, 0, 255)
		toEachPath(t, tc.name, f, func(size image.Point, dst *Frame) {
			for y := range size.Y {
				for x := range size.X {
					if v := dst.Y[y*dst.YStride+x]; v != tc.wantY {
						t.Fatalf("%s to %v: Y at (%d,%d) is %d, want %d", tc.name, size, x, y, v, tc.wantY)
					}
				}
			}
			for y := range (size.Y + 1) / 2 {
				for x := range (size.X + 1) / 2 {
					i := y*dst.CStride + x
					if cb, cr := dst.Cb[i], dst.Cr[i]; cb != tc.wantCb || cr != tc.wantCr {
						t.Fatalf("%s to %v: Cb, Cr at chroma (%d,%d) are %d, %d, want %d, %d", tc.name, size, x, y, cb, cr, tc.wantCb, tc.wantCr)
					}
				}
			}
		})
	}
}

// TestRGBPictureRangeMappedOnce: a VP9 RGB picture (GBRP, which FFmpeg
// marks full range), black on the left and white on the right, comes out
// with video-range luma 16 and 235: swscale's RGB to YUV conversion
// already gives video range, so mapping it again would lift black to 30.
func TestRGBPictureRangeMappedOnce(t *testing.T) {
	p := lavfiPicture(t, "color=c=black:size=320x180:rate=30,drawbox=x=160:y=0:w=160:h=180:color=white:t=fill",
		"-pix_fmt", "gbrp", "-c:v", "libvpx-vp9", "-profile:v", "1", "-lossless", "1")
	f := decodeOne(t, VP9, p.Data, nil)
	if f.Width() != 320 || f.Height() != 180 {
		t.Fatalf("picture %dx%d, want 320x180", f.Width(), f.Height())
	}
	for _, area := range []struct {
		name  string
		x0    int // the area is columns x0 to x0+140, away from the edge at 160
		wantY int
	}{
		{"black", 8, 16},
		{"white", 172, 235},
	} {
		for y := range 180 {
			for x := area.x0; x < area.x0+140; x++ {
				// One level for swscale's rounding of RGB to YUV.
				if v := int(f.Y[y*f.YStride+x]); v < area.wantY-1 || v > area.wantY+1 {
					t.Fatalf("%s area: Y at (%d,%d) is %d, want %d", area.name, x, y, v, area.wantY)
				}
			}
		}
	}
}
