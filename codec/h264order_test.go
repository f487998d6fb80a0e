package codec

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"mcu/internal/mediatest"
)

// TestH264FrameNum reads every picture's frame_num from real streams, in
// decoding order: the testdata clip (constrained baseline, every picture a
// reference) and a High profile stream with B pictures that are not
// references. Each IDR picture has 0, and each other picture the last
// reference picture's frame_num plus one (H.264 7.4.3, nothing lost).
func TestH264FrameNum(t *testing.T) {
	high := filepath.Join(t.TempDir(), "high.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30:duration=3",
		"-c:v", "libx264", "-profile:v", "high", "-bf", "2", "-b-pyramid", "none", "-g", "40", "-pix_fmt", "yuv420p", high).CombinedOutput(); err != nil {
		t.Fatalf("make a High profile stream: %v %s", err, out)
	}
	for _, c := range []struct {
		path    string
		nonRefs bool // the stream must hold non-reference pictures
	}{
		{mediatest.TestdataPath(t, "p01.h264"), false},
		{high, true},
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			data, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			var sps H264SPS
			prevRef, pictures, nonRefs := -1, 0, 0
			ForEachNAL(data, func(nal []byte) bool {
				switch typ := nal[0] & 0x1f; {
				case typ == 7:
					if sps, err = ParseH264SPS(nal); err != nil {
						t.Fatalf("SPS % x: %v", nal[:min(len(nal), 16)], err)
					}
				case (typ == 1 || typ == 5) && H264FirstSlice(nal):
					fn, ref, err := H264FrameNum(nal, sps)
					if err != nil {
						t.Fatalf("picture %d: %v", pictures, err)
					}
					max := 1 << sps.FrameNumBits
					switch {
					case typ == 5 && fn != 0:
						t.Errorf("picture %d: an IDR picture with frame_num %d", pictures, fn)
					case typ == 1 && fn != (prevRef+1)%max:
						t.Errorf("picture %d: frame_num %d after the reference picture's %d (modulo %d)", pictures, fn, prevRef, max)
					}
					if ref {
						prevRef = fn
					} else {
						nonRefs++
					}
					pictures++
				}
				return true
			})
			if pictures < 60 || sps.FrameNumBits < 4 {
				t.Errorf("%d pictures, frame_num of %d bits", pictures, sps.FrameNumBits)
			}
			if c.nonRefs != (nonRefs > 0) {
				t.Errorf("%d non-reference pictures", nonRefs)
			}
		})
	}
}

// TestH264HeadersCutShort: headers cut anywhere are refused, not misread
// past their end.
func TestH264HeadersCutShort(t *testing.T) {
	sps := []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10}
	if _, err := ParseH264SPS(sps); err != nil {
		t.Fatalf("a whole High profile SPS: %v", err)
	}
	for n := range 6 {
		if got, err := ParseH264SPS(sps[:n]); err == nil {
			t.Errorf("an SPS cut to %d bytes read as %+v", n, got)
		}
	}
	slice := []byte{0x41, 0x9a, 0x00}
	if _, _, err := H264FrameNum(slice[:1], H264SPS{FrameNumBits: 16}); err == nil {
		t.Error("a slice with no header read")
	}
	if _, _, err := H264FrameNum(slice, H264SPS{}); err == nil {
		t.Error("a slice read without its SPS")
	}
}

// FuzzH264Headers: any bytes are read or refused without a panic.
func FuzzH264Headers(f *testing.F) {
	f.Add([]byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10}, []byte{0x41, 0x9a, 0x00})
	f.Add([]byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47}, []byte{0x65, 0x88, 0x84})
	f.Fuzz(func(t *testing.T, spsNAL, slice []byte) {
		sps, err := ParseH264SPS(spsNAL)
		if err != nil {
			return
		}
		if sps.FrameNumBits < 4 || sps.FrameNumBits > 16 {
			t.Fatalf("frame_num of %d bits", sps.FrameNumBits)
		}
		if fn, _, err := H264FrameNum(slice, sps); err == nil && fn >= 1<<sps.FrameNumBits {
			t.Fatalf("frame_num %d of %d bits", fn, sps.FrameNumBits)
		}
	})
}
