//go:build cgo

package codec

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestAnnexBWithoutTimingIs30fps: a raw H.264 stream carries no times, and
// many encoders write no timing info in its SPS. Such a stream is read at
// 30 fps, as live, not at FFmpeg's default of 25, which played a 30 fps
// camera a fifth slower than its sound (a 5 s clip mixed over 6 s, its
// picture a second behind its sound at the end). One whose SPS says its
// rate keeps it.
func TestAnnexBWithoutTimingIs30fps(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		rate     string
		stripVUI bool
		want     float64
	}{{"30", true, 30}, {"24", true, 30}, {"24", false, 24}} {
		path := filepath.Join(dir, fmt.Sprintf("clip%s-%v.h264", c.rate, c.stripVUI))
		if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x120:d=2:r="+c.rate,
			"-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-f", "h264", path).CombinedOutput(); err != nil {
			t.Fatalf("encode: %v %s", err, out)
		}
		if c.stripVUI {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b = withoutVUI(t, b)
			path = filepath.Join(dir, "novui"+c.rate+".h264")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		in, err := OpenInput(path)
		if err != nil {
			t.Fatal(err)
		}
		v := in.Video()
		in.Close()
		if v == nil || v.FrameRate != c.want {
			t.Errorf("%s (VUI stripped: %v): video %+v, want %v fps", filepath.Base(path), c.stripVUI, v, c.want)
		}
	}
}

// withoutVUI rewrites the SPSs of a Baseline Annex B stream without their
// VUI (and so without timing info).
func withoutVUI(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	n := 0
	for len(b) > 0 {
		i := bytes.Index(b, []byte{0, 0, 1})
		if i < 0 {
			break
		}
		b = b[i+3:]
		end := bytes.Index(b, []byte{0, 0, 1})
		if end < 0 {
			end = len(b)
		}
		nal := bytes.TrimRight(b[:end], "\x00")
		if nal[0]&0x1f == 7 {
			nal = spsWithoutVUI(t, nal)
			n++
		}
		out = append(append(out, 0, 0, 0, 1), nal...)
		b = b[end:]
	}
	if n == 0 {
		t.Fatal("no SPS in the stream")
	}
	return out
}

func spsWithoutVUI(t *testing.T, nal []byte) []byte {
	r := &bitReader{b: nal[1:], rbsp: true}
	var w bitWriter // profile_test.go's
	copyBits := func(n int) uint {
		v := uint(r.bits(n))
		w.bits(n, v)
		return v
	}
	copyUE := func() uint {
		v := uint(r.ue())
		w.ue(v)
		return v
	}
	if profile := copyBits(8); profile != 66 {
		t.Fatalf("profile %d, want Baseline", profile)
	}
	copyBits(16)      // constraint flags, level
	copyUE()          // seq_parameter_set_id
	copyUE()          // log2_max_frame_num_minus4
	switch copyUE() { // pic_order_cnt_type
	case 0:
		copyUE()
	case 2:
	default:
		t.Fatal("pic_order_cnt_type 1")
	}
	copyUE()              // max_num_ref_frames
	copyBits(1)           // gaps_in_frame_num_value_allowed_flag
	copyUE()              // pic_width_in_mbs_minus1
	copyUE()              // pic_height_in_map_units_minus1
	if copyBits(1) == 0 { // frame_mbs_only_flag
		copyBits(1)
	}
	copyBits(1)           // direct_8x8_inference_flag
	if copyBits(1) == 1 { // frame_cropping_flag
		for range 4 {
			copyUE()
		}
	}
	if r.err {
		t.Fatal("SPS cut short")
	}
	w.bits(1, 0) // vui_parameters_present_flag
	return w.nal(nal[0])
}
