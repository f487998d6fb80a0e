//go:build cgo

package codec

import (
	"image"
	"testing"
)

// TestReceiveScaledCropsChromaRows decodes a picture whose top and bottom
// differ in colour and asks for a band of the top, whole and at half size:
// its chroma comes from the band's own rows (half of them in the 4:2:0
// chroma planes), not from rows as far down as the luma's, in the bottom.
func TestReceiveScaledCropsChromaRows(t *testing.T) {
	cfg := DefaultVP8Config()
	cfg.Width, cfg.Height = 640, 360
	pic := NewFrame(640, 360)
	// The edge on a macroblock row (176), away from the band's chroma.
	FillRect(&pic.YCbCr, image.Rect(0, 0, 640, 176), 120, 90, 210)
	FillRect(&pic.YCbCr, image.Rect(0, 176, 640, 360), 120, 200, 40)
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ef, err := enc.Encode(&pic.YCbCr, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	band := image.Rect(0, 90, 640, 170)
	for _, size := range []image.Point{{640, 80}, {320, 40}} {
		dec := newTestDecoder(t, VP8)
		if err := dec.Send(ef.Data, 0); err != nil {
			t.Fatal(err)
		}
		f := &Frame{}
		ok, err := dec.ReceiveScaled(f, func(w, h int) (image.Rectangle, image.Point) { return band, size })
		if !ok || err != nil {
			t.Fatalf("ReceiveScaled: %v %v", ok, err)
		}
		if f.Width() != size.X || f.Height() != size.Y {
			t.Fatalf("frame %dx%d, want %v", f.Width(), f.Height(), size)
		}
		for y := range size.Y / 2 {
			for x := range size.X / 2 {
				// Coding noise of a flat area stays within a few levels.
				cb, cr := int(f.Cb[y*f.CStride+x]), int(f.Cr[y*f.CStride+x])
				if cb < 84 || cb > 96 || cr < 204 || cr > 216 {
					t.Fatalf("%v: Cb %d, Cr %d at chroma (%d,%d), want about 90, 210: the crop took the bottom's colour", size, cb, cr, x, y)
				}
			}
		}
	}
}
