package codec

import (
	"image"
	"testing"
	"time"
)

// TestOddSizesKeepTheirLastChroma: a 4:2:0 picture of odd width or
// height has a chroma column or row for its last luma column or row
// alone, (w+1)/2 by (h+1)/2. NewFrame paints it, CopyRect copies it and
// Rotate turns it like the rest: left out, the picture's right or bottom
// edge would be green (chroma 0) or keep an older picture's colour.
func TestOddSizesKeepTheirLastChroma(t *testing.T) {
	const w, h = 7, 5
	const cw, ch = (w + 1) / 2, (h + 1) / 2
	black := NewFrame(w, h)
	for y := range ch {
		for x := range cw {
			if cb, cr := black.Cb[y*black.CStride+x], black.Cr[y*black.CStride+x]; cb != GreyUV || cr != GreyUV {
				t.Fatalf("NewFrame(%d, %d): chroma (%d,%d) is %d,%d, want grey", w, h, x, y, cb, cr)
			}
		}
	}
	src := NewFrame(w, h)
	for y := range h {
		for x := range w {
			src.Y[y*src.YStride+x] = byte(y*w + x)
		}
	}
	for y := range ch {
		for x := range cw {
			src.Cb[y*src.CStride+x] = byte(100 + y*cw + x)
			src.Cr[y*src.CStride+x] = byte(200 - y*cw - x)
		}
	}
	chromaAt := func(f *Frame, x, y int) [2]byte {
		return [2]byte{f.Cb[y*f.CStride+x], f.Cr[y*f.CStride+x]}
	}
	t.Run("CopyRect", func(t *testing.T) {
		dst := NewFrame(w, h)
		CopyRect(&dst.YCbCr, image.Point{}, &src.YCbCr, src.Rect)
		for y := range ch {
			for x := range cw {
				if got, want := chromaAt(dst, x, y), chromaAt(src, x, y); got != want {
					t.Errorf("chroma (%d,%d) is %v, want %v", x, y, got, want)
				}
			}
		}
	})
	t.Run("Rotate", func(t *testing.T) {
		src.PTS, src.Seq, src.Arrival = time.Second, 3, time.Unix(1700000000, 5)
		// Where chroma sample (x, y) of a w×h plane lands, turned clockwise.
		at := map[int]func(x, y, w, h int) (int, int){
			90:  func(x, y, w, h int) (int, int) { return h - 1 - y, x },
			180: func(x, y, w, h int) (int, int) { return w - 1 - x, h - 1 - y },
			270: func(x, y, w, h int) (int, int) { return y, w - 1 - x },
		}
		for deg, to := range at {
			dst := &Frame{}
			Rotate(dst, src, deg)
			if !dst.Arrival.Equal(src.Arrival) || dst.PTS != src.PTS || dst.Seq != src.Seq {
				t.Errorf("%d°: arrival %v pts %v seq %d, want %v %v %d", deg, dst.Arrival, dst.PTS, dst.Seq, src.Arrival, src.PTS, src.Seq)
			}
			for y := range ch {
				for x := range cw {
					dx, dy := to(x, y, cw, ch)
					if got, want := chromaAt(dst, dx, dy), chromaAt(src, x, y); got != want {
						t.Errorf("%d°: chroma (%d,%d) at (%d,%d) is %v, want %v", deg, x, y, dx, dy, got, want)
					}
				}
			}
		}
	})
}
