package offline

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/layout"
	"mcu/mixer"
)

// TestShareIsFittedWhole: in a mix that crops the cameras to fill their
// tiles, a participant whose video is shared content (a 4:3 screen,
// larger than its tile) is shown whole in the large tile, scaled once,
// straight to it: its decoder is told to fit it into the largest tile, not
// to cover it, which would scale it a second time in the mixer and blur a
// screen's text.
func TestShareIsFittedWhole(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	screen := filepath.Join(t.TempDir(), "screen.mp4")
	if out, err := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=1280x960:r=30:d=1",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "0", screen).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	parts := participantsOf(t, "p01.ivf")
	share, err := ParseParticipant(screen)
	if err != nil {
		t.Fatal(err)
	}
	share.Content = true
	parts = append(parts, share)
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 640, 360
	cfg.Aspect = layout.Fill
	shot := canvasAt(ctx, t, parts, cfg, 500*time.Millisecond)
	cells := layout.SpeakerCells(len(parts), 1, layout.Size{W: 640, H: 360})
	if db := tileAgainstSource(ctx, t, shot, screen, cells[1], layout.Fit, 500*time.Millisecond); db < 38 {
		t.Errorf("the share's tile is %.1f dB from the whole screen fitted into it, want ≥ 38 (scaled twice, or cropped?)", db)
	}
	if db := tileAgainstSource(ctx, t, shot, parts[0].Video, cells[0], layout.Fill, 500*time.Millisecond); db < 38 {
		t.Errorf("the camera's tile is %.1f dB from its picture cropped to fill it, want ≥ 38", db)
	}
}
