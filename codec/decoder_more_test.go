//go:build cgo

package codec

import (
	"image"
	"testing"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// Use after Close must return an error, not crash.
func TestDecoderSendAfterClose(t *testing.T) {
	key := firstPacket(t, "../testdata/p01.ivf")
	dec, err := NewVideoDecoder(VP8)
	if err != nil {
		t.Fatal(err)
	}
	dec.Close()
	dec.Close() // twice is fine
	defer dec.Close()
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Send after Close panicked: %v", r)
			}
		}()
		if err := dec.Send(key.Data, 0); err == nil {
			t.Errorf("Send after Close: nil error")
		}
	}()
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Receive after Close panicked: %v", r)
			}
		}()
		if ok, _ := dec.Receive(&Frame{}); ok {
			t.Errorf("Receive after Close gave a picture")
		}
	}()
	if err := dec.Flush(); err != nil {
		t.Logf("Flush after Close: %v", err)
	}
}

func TestInputReadAfterClose(t *testing.T) {
	in, err := OpenInput("../testdata/p01.ivf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Read(); err != nil {
		t.Fatal(err)
	}
	in.Close()
	in.Close()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Read after Close panicked: %v", r)
		}
	}()
	// What was read ahead may still come out; then an error, not a crash.
	for i := 0; ; i++ {
		_, err := in.Read()
		if err != nil {
			t.Logf("Read after Close: %d packets, then %v", i, err)
			return
		}
		if i == 100 {
			t.Fatalf("Read after Close gives packets on and on")
		}
	}
}

// grayFrame is a 640x360 GRAY8 picture of luma y, marked rng.
func grayFrame(t *testing.T, y byte, rng astiav.ColorRange) *astiav.Frame {
	t.Helper()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(640)
	f.SetHeight(360)
	f.SetPixelFormat(astiav.PixelFormatGray8)
	if err := f.AllocBuffer(0); err != nil {
		t.Fatal(err)
	}
	f.SetColorRange(rng)
	data := *(*unsafe.Pointer)(f.UnsafePointer()) // AVFrame.data[0]
	ls := f.Linesize()[0]
	plane := unsafe.Slice((*byte)(data), ls*360)
	for i := range plane {
		plane[i] = y
	}
	return f
}

// A monochrome AV1 stream (dav1d gives GRAY8) in limited range, the AV1
// default (color_range 0), keeps its values: black 16 stays 16, white 235
// stays 235. A full-range one is mapped.
func TestGrayRange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    byte
		rng   astiav.ColorRange
		wantY byte
	}{
		{"limited black", 16, astiav.ColorRangeMpeg, 16},
		{"limited white", 235, astiav.ColorRangeMpeg, 235},
		{"full black", 0, astiav.ColorRangeJpeg, 16},
		{"full white", 255, astiav.ColorRangeJpeg, 235},
	} {
		f := grayFrame(t, tc.in, tc.rng)
		toEachPath(t, tc.name, f, func(size image.Point, dst *Frame) {
			if v := dst.Y[dst.YStride*(size.Y/2)+size.X/2]; int(v) < int(tc.wantY)-1 || int(v) > int(tc.wantY)+1 {
				t.Errorf("%s to %v: Y %d, want %d", tc.name, size, v, tc.wantY)
			}
		})
	}
}
