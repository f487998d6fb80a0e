package codec

import (
	"image"
	"runtime"
	"testing"
)

// TestDecoderSwscaleCHeap: a decoder that scaled its pictures through
// swscale (a tile neither half nor two thirds of the picture) gives its
// context back when closed. TestDecoderCyclesCHeap's 250x142 tiles of
// 640x360 pictures are under half: libyuv's box filter, which holds no
// context. A participant's decoder is opened and closed at each join,
// each layer switch and each restart after errors.
func TestDecoderSwscaleCHeap(t *testing.T) {
	if _, ok := CHeapBytes(); !ok {
		t.Skip("no C heap figures")
	}
	key := firstPacket(t, "../testdata/p01.ivf").Data // 640x360
	target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), image.Pt(500, 282) }
	f := &Frame{}
	cycle := func() {
		d, err := NewVideoDecoder(VP8)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Send(key, 0); err != nil {
			t.Fatal(err)
		}
		if ok, err := d.ReceiveScaled(f, target); !ok || err != nil {
			t.Fatalf("receive: %v %v", ok, err)
		}
		if f.Rect.Size() != image.Pt(500, 282) {
			t.Fatalf("picture %v", f.Rect.Size())
		}
	}
	for range 50 {
		cycle()
	}
	runtime.GC()
	before, _ := CHeapBytes()
	const n = 400
	for range n {
		cycle()
	}
	runtime.GC()
	after, _ := CHeapBytes()
	t.Logf("C heap %d -> %d bytes over %d cycles (%+d)", before, after, n, after-before)
	if after-before > 2<<20 {
		t.Errorf("C heap grew %d bytes over %d decoder cycles", after-before, n)
	}
}
