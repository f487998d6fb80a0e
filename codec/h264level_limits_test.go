package codec

import "testing"

// TestFitWithinEncoderLimits: every size Fit gives for a canvas the
// encoder takes (even, 16..4096, fps 1..120) must itself be one
// H264Config.Validate takes, or the H.264 output never opens for that
// level (retried every 10 s, its receivers get no picture).
func TestFitWithinEncoderLimits(t *testing.T) {
	bad := 0
	for _, row := range h264Limits {
		for _, s := range [][2]int{{1280, 720}, {4096, 256}, {256, 4096}, {4096, 16}, {1920, 1080}} {
			for _, fps := range []int{30, 60, 120} {
				w, h := row.level.Fit(s[0], s[1], fps)
				c := H264Config{Width: w, Height: h, FPS: fps, Bitrate: 100_000, KeyframeInterval: 1, Preset: DefaultH264Preset}
				if err := c.Validate(); err != nil {
					bad++
					if bad <= 5 {
						t.Errorf("level %v, canvas %dx%d at %d fps: Fit gives %dx%d: %v", row.level, s[0], s[1], fps, w, h, err)
					}
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d in all", bad)
	}
}
