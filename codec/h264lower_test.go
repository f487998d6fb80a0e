//go:build cgo

package codec

import "testing"

// TestH264LoweredBitrateWarnsNothing: lowering the running encoder's
// bitrate (a receiver's loss) makes x264 say nothing: FFmpeg's wrapper
// reconfigures the cap before the target, and a cap taken below the
// target still in force makes x264 warn "max bitrate less than average
// bitrate" at each lowering.
func TestH264LoweredBitrateWarnsNothing(t *testing.T) {
	h := &countHandler{substr: "max bitrate less than average"}
	countFFmpegLines(t, h)
	cfg := smallH264Config()
	cfg.Bitrate = 900_000
	enc, err := NewH264Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	h264Encode(t, enc, 0, 10, true)
	for i, bps := range []int{600_000, 300_000, 900_000, 200_000} {
		if err := enc.SetBitrate(bps); err != nil {
			t.Fatal(err)
		}
		h264Encode(t, enc, 10+10*i, 20+10*i, true)
	}
	if n := h.n.Load(); n != 0 {
		t.Errorf("x264 warned %d times that the cap was under the target", n)
	}
	if enc.Config().Bitrate != 200_000 {
		t.Errorf("config bitrate %d, want 200000", enc.Config().Bitrate)
	}
}
