//go:build cgo

package codec

import (
	"image"
	"testing"
)

// TestBT709ToOddHeightStaysInside: the BT.709 to BT.601 conversion of a
// picture of odd height adds each chroma sample's share to the luma rows
// of its block, of which the last block has one: a second row would be
// the first of the chroma plane behind it, and shift its colours. Every
// scaling path, at odd heights, gives the bars the BT.601 stream does.
func TestBT709ToOddHeightStaysInside(t *testing.T) {
	ref := h264Bars(t, "bt601", "tv")
	p := h264Bars(t, "bt709", "tv")
	for _, size := range []image.Point{{640, 359}, {426, 239}, {320, 179}, {500, 281}} {
		target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), size }
		want := decodeOne(t, H264, ref.Data, target)
		got := decodeOne(t, H264, p.Data, target)
		// The seven top bars, at their centres, in the first and the
		// last rows of chroma, and the last row of luma.
		ch := (size.Y + 1) / 2
		for i := range 7 {
			x := (2*i + 1) * size.X / 14
			for _, cy := range []int{0, ch - 1} {
				co := cy*want.CStride + x/2
				cg := cy*got.CStride + x/2
				if d := max(abs(int(want.Cb[co])-int(got.Cb[cg])), abs(int(want.Cr[co])-int(got.Cr[cg]))); d > 3 {
					t.Errorf("%v, bar %d, chroma row %d: CbCr %d/%d, want %d/%d", size, i, cy, got.Cb[cg], got.Cr[cg], want.Cb[co], want.Cr[co])
				}
			}
			y := size.Y - 1
			if d := abs(int(want.Y[y*want.YStride+x]) - int(got.Y[y*got.YStride+x])); d > 3 {
				t.Errorf("%v, bar %d, last row: Y' %d, want %d", size, i, got.Y[y*got.YStride+x], want.Y[y*want.YStride+x])
			}
		}
	}
}
