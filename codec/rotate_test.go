package codec

import (
	"testing"
	"time"
)

// TestRotate: each turn puts every pixel (luma and chroma) where a turn
// of the picture puts it, and four quarter turns give the picture back.
func TestRotate(t *testing.T) {
	const w, h = 8, 6
	src := NewFrame(w, h)
	for y := range h {
		for x := range w {
			src.Y[y*src.YStride+x] = byte(y*w + x)
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			src.Cb[y*src.CStride+x] = byte(100 + y*w/2 + x)
			src.Cr[y*src.CStride+x] = byte(200 - y*w/2 - x)
		}
	}
	src.PTS, src.Seq = time.Second, 7
	// Where pixel (x, y) of src lands in a w×h picture turned clockwise.
	at := map[int]func(x, y, w, h int) (int, int){
		90:  func(x, y, w, h int) (int, int) { return h - 1 - y, x },
		180: func(x, y, w, h int) (int, int) { return w - 1 - x, h - 1 - y },
		270: func(x, y, w, h int) (int, int) { return y, w - 1 - x },
	}
	for deg, to := range at {
		dst := &Frame{}
		Rotate(dst, src, deg)
		tw, th := w, h
		if deg != 180 {
			tw, th = h, w
		}
		if dst.Rect.Dx() != tw || dst.Rect.Dy() != th || dst.SourceWidth != tw || dst.PTS != time.Second || dst.Seq != 7 {
			t.Fatalf("%d°: %v source %dx%d pts %v seq %d", deg, dst.Rect, dst.SourceWidth, dst.SourceHeight, dst.PTS, dst.Seq)
		}
		for y := range h {
			for x := range w {
				dx, dy := to(x, y, w, h)
				if got, want := dst.Y[dy*dst.YStride+dx], src.Y[y*src.YStride+x]; got != want {
					t.Fatalf("%d°: luma (%d,%d) went to (%d,%d) as %d, want %d", deg, x, y, dx, dy, got, want)
				}
			}
		}
		for y := range h / 2 {
			for x := range w / 2 {
				dx, dy := to(x, y, w/2, h/2)
				if dst.Cb[dy*dst.CStride+dx] != src.Cb[y*src.CStride+x] || dst.Cr[dy*dst.CStride+dx] != src.Cr[y*src.CStride+x] {
					t.Fatalf("%d°: chroma (%d,%d) not at (%d,%d)", deg, x, y, dx, dy)
				}
			}
		}
	}
	back := src
	for range 4 {
		next := &Frame{}
		Rotate(next, back, 90)
		back = next
	}
	for y := range h {
		for x := range w {
			if back.Y[y*back.YStride+x] != src.Y[y*src.YStride+x] {
				t.Fatalf("four quarter turns moved (%d,%d)", x, y)
			}
		}
	}
}
