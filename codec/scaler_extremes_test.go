//go:build cgo

package codec

import (
	"image"
	"testing"
)

// TestScalerTinyAndHugeSources: every source size the compositor can be
// handed (2x2 upwards; smaller ones get the placeholder) scales into tiles
// from 2x2 to a full canvas without an error, writes only its rectangle,
// and keeps a flat colour flat.
func TestScalerTinyAndHugeSources(t *testing.T) {
	var s Scaler
	defer s.Close()
	canvas := NewImage(1280, 720)
	srcs := []image.Point{{2, 2}, {3, 2}, {2, 3}, {3, 3}, {4, 2}, {5, 5}, {7, 3}, {9, 9}, {17, 2}, {2, 17}, {322, 180}, {321, 181}, {4096, 2304}}
	dsts := []image.Point{{2, 2}, {4, 2}, {2, 4}, {6, 6}, {8, 4}, {16, 16}, {214, 120}, {426, 240}, {1280, 720}, {1280, 2}, {2, 720}}
	for _, sp := range srcs {
		src := NewFrame(sp.X, sp.Y)
		FillRect(&src.YCbCr, src.Rect, 100, 60, 200)
		for _, dp := range dsts {
			FillRect(canvas, canvas.Rect, 7, 9, 11)
			x, y := (1280-dp.X)/2&^1, (720-dp.Y)/2&^1
			dst := image.Rect(x, y, x+dp.X, y+dp.Y)
			if err := s.Scale(canvas, dst, &src.YCbCr, src.Rect); err != nil {
				t.Errorf("%v -> %v: %v", sp, dp, err)
				continue
			}
			assertUntouched(t, canvas, dst, 7, 9, 11)
			bad, badc := 0, 0
			for py := dst.Min.Y; py < dst.Max.Y; py++ {
				for px := dst.Min.X; px < dst.Max.X; px++ {
					if v := canvas.Y[py*canvas.YStride+px]; v < 99 || v > 101 {
						bad++
						if bad == 1 {
							t.Errorf("%v -> %v: luma %d at (%d,%d), want 100", sp, dp, v, px, py)
						}
					}
				}
			}
			for py := dst.Min.Y / 2; py < (dst.Max.Y+1)/2; py++ {
				for px := dst.Min.X / 2; px < (dst.Max.X+1)/2; px++ {
					if v := canvas.Cb[py*canvas.CStride+px]; v < 59 || v > 61 {
						badc++
						if badc == 1 {
							t.Errorf("%v -> %v: Cb %d at (%d,%d), want 60", sp, dp, v, px, py)
						}
					}
					if v := canvas.Cr[py*canvas.CStride+px]; v < 199 || v > 201 {
						badc++
						if badc == 1 {
							t.Errorf("%v -> %v: Cr %d at (%d,%d), want 200", sp, dp, v, px, py)
						}
					}
				}
			}
		}
	}
}
