package codec

import (
	"fmt"
	"testing"
)

// TestDecoderOddSizeWholeChroma: a picture of odd size decoded at its own
// size (the plain copy out of FFmpeg) fills its chroma planes to the last
// row and column, (w+1)/2 by (h+1)/2: a frame reused from the picture
// before keeps none of that one's colour at its edge.
func TestDecoderOddSizeWholeChroma(t *testing.T) {
	const w, h = 65, 35
	var frames [][]byte
	for _, colour := range []string{"0x3080c0", "0xc08030"} {
		// (lavfi's color source makes even sizes only: scaled to the odd one.)
		p := lavfiPicture(t, "color=c="+colour+":size=64x34", "-vf", fmt.Sprintf("scale=%d:%d", w, h), "-c:v", "libvpx", "-pix_fmt", "yuv420p")
		frames = append(frames, p.Data)
	}
	f := &Frame{}
	for i, data := range frames {
		dec := newTestDecoder(t, VP8)
		if err := dec.Send(data, NoPTS); err != nil {
			t.Fatal(err)
		}
		if ok, err := dec.Receive(f); !ok || err != nil {
			t.Fatalf("picture %d: %v %v", i, ok, err)
		}
		if f.Rect.Dx() != w || f.Rect.Dy() != h {
			t.Fatalf("picture %d: %v", i, f.Rect)
		}
		cb, cr := int(f.Cb[0]), int(f.Cr[0])
		for y := range (h + 1) / 2 {
			for x := range (w + 1) / 2 {
				gb, gr := int(f.Cb[y*f.CStride+x]), int(f.Cr[y*f.CStride+x])
				if abs(gb-cb) > 2 || abs(gr-cr) > 2 {
					t.Fatalf("picture %d: chroma (%d,%d) is %d/%d, the picture's %d/%d", i, x, y, gb, gr, cb, cr)
				}
			}
		}
	}
}
