//go:build cgo

package codec

import (
	"errors"
	"testing"
)

// FuzzVideoDecoder feeds arbitrary bytes to each decoder after a valid
// keyframe, as a damaged or hostile RTP stream would: errors are fine
// (ErrCorrupt, ErrNeedKeyframe), a crash or another error is not. Seeds are
// real frames of the test clips.
func FuzzVideoDecoder(f *testing.F) {
	key := map[VideoCodec][]byte{}
	for c, path := range map[VideoCodec]string{VP8: "../testdata/p01.ivf", H264: "../testdata/p01.h264", VP9: "../testdata/p12.vp9.ivf", AV1: "../testdata/p12.av1.ivf"} {
		in, err := OpenInput(path)
		if err != nil {
			f.Fatalf("test clips: %v", err)
		}
		for i := 0; i < 3; i++ {
			p, err := in.Read()
			if err != nil {
				f.Fatalf("%s: packet %d: %v", path, i, err)
			}
			if i == 0 {
				key[c] = p.Data
			}
			f.Add(uint8(c), p.Data)
			if len(p.Data) > 20 {
				mangled := append([]byte(nil), p.Data...)
				mangled[len(mangled)/2] ^= 0xff
				f.Add(uint8(c), mangled)
			}
		}
		in.Close()
	}
	f.Add(uint8(VP8), []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, c uint8, data []byte) {
		vc := VideoCodec(c%4 + 1)
		dec, err := NewVideoDecoder(vc)
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		frame := &Frame{}
		for _, d := range [][]byte{key[vc], data, data} {
			err := dec.Send(d, 0)
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNeedKeyframe) {
				t.Fatalf("%v: %v", vc, err)
			}
			for {
				ok, err := dec.Receive(frame)
				if err != nil && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%v receive: %v", vc, err)
				}
				if !ok {
					break
				}
				if frame.Width() <= 0 || frame.Height() <= 0 {
					t.Fatalf("%v: picture of size %dx%d", vc, frame.Width(), frame.Height())
				}
			}
		}
	})
}
