//go:build cgo

package codec

import (
	"image"
	"testing"
)

// centroid of (v-base) along a line.
func centroid(vals []float64) float64 {
	var s, m float64
	for i, v := range vals {
		s += v
		m += v * float64(i)
	}
	return m / s
}

// TestChromaFollowsLuma: a bar drawn the same in luma and chroma must come
// out of every scaling path with its chroma centred where its luma is.
func TestChromaFollowsLuma(t *testing.T) {
	var s Scaler
	defer s.Close()
	type c struct{ sw, sh, dw, dh int }
	cases := []c{{640, 360, 426, 240}, {640, 360, 320, 180}, {640, 360, 480, 270}, {640, 360, 250, 140}, {640, 360, 1280, 720},
		{640, 360, 200, 112}, {1280, 720, 426, 240}, {322, 180, 214, 120}, {322, 180, 160, 90}, {640, 360, 40, 22}}
	for _, cs := range cases {
		src := NewFrame(cs.sw, cs.sh)
		FillRect(&src.YCbCr, src.Rect, 50, 128, 128)
		x0, x1 := cs.sw/2-cs.sw/16&^1, cs.sw/2+cs.sw/16&^1
		FillRect(&src.YCbCr, image.Rect(x0, 0, x1, cs.sh), 200, 128, 200)
		canvas := NewImage(cs.dw, cs.dh)
		if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		row := cs.dh / 2
		ly := make([]float64, cs.dw)
		for x := range ly {
			ly[x] = float64(canvas.Y[row*canvas.YStride+x]) - 50
		}
		cr := make([]float64, (cs.dw+1)/2)
		for x := range cr {
			cr[x] = float64(canvas.Cr[row/2*canvas.CStride+x]) - 128
		}
		lc, cc := centroid(ly), 2*centroid(cr)+0.5
		want := (float64(x0+x1)/2)*float64(cs.dw)/float64(cs.sw) - 0.5
		t.Logf("%dx%d -> %dx%d: luma centroid %.2f (ideal %.2f), chroma %.2f: chroma-luma %+.2f px", cs.sw, cs.sh, cs.dw, cs.dh, lc, want, cc, cc-lc)
	}
}
