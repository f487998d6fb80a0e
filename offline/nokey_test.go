package offline

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/mixer"
)

// TestMixNamesAClipWithNoKeyframe: a clip whose keyframe is missing
// (cut from a live stream after its keyframe, or its first frame lost)
// shows nothing: its tile stays a placeholder for the whole mix. The mix
// must say which file, as it does for every other kind of damage; the
// summary's count alone ("89 damaged frames ... skipped") names none.
func TestMixNamesAClipWithNoKeyframe(t *testing.T) {
	dir := t.TempDir()
	whole, cut := filepath.Join(dir, "whole.ivf"), filepath.Join(dir, "cut.ivf")
	for _, args := range [][]string{
		{"-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=3", "-c:v", "libvpx", "-b:v", "100k", "-g", "1000", whole},
		{"-v", "error", "-i", whole, "-c", "copy", "-bsf:v", `noise=drop=eq(n\,0)`, cut},
	} {
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %q: %v %s", args, err, out)
		}
	}
	p, err := ParseParticipant(cut)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(dir, "out.webm"), Mixer: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warnings %d; logged:\n%s", res.Warnings, logs.String())
	if !strings.Contains(logs.String(), cut) {
		t.Errorf("%d frames of %s never shown (no keyframe), and no warning names the file; logged:\n%s", res.Warnings, cut, logs.String())
	}
}
