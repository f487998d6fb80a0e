package offline

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"mcu/mixer"
)

// TestMixCountsPicturesWithoutAKeyframe: pictures that cannot be shown
// because their keyframe is missing count in the summary's warnings, as
// damaged ones do: a mix whose tile stayed a placeholder for 3 s must not
// report a clean run.
func TestMixCountsPicturesWithoutAKeyframe(t *testing.T) {
	dir := t.TempDir()
	whole, cut := filepath.Join(dir, "whole.ivf"), filepath.Join(dir, "cut.ivf")
	ffmpegRuns(t, [][]string{
		{"-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=3", "-c:v", "libvpx", "-b:v", "100k", "-g", "1000", whole},
		{"-i", whole, "-c", "copy", "-bsf:v", `noise=drop=eq(n\,0)`, cut}, // the only keyframe lost
	})
	p, err := ParseParticipant(cut)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(dir, "out.webm"), Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// 89 pictures follow the lost keyframe; the mix may stop the decoder
	// before it has read the last few.
	if res.Warnings < 80 {
		t.Errorf("a clip of 89 pictures without their keyframe: %d warnings, want at least 80", res.Warnings)
	}
}
