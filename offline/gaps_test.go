package offline

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"testing"

	"mcu/mixer"
)

// TestMixCountsEveryGap: Result.Gaps counts the gaps in the sound, each
// one, of every input: a file that lost two packets far apart has two, and
// the mix of it with a file that lost one has three (no damage).
func TestMixCountsEveryGap(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.mka")
	one, two := filepath.Join(dir, "one.mka"), filepath.Join(dir, "two.mka")
	ffmpegRuns(t, [][]string{
		toneMKA(whole),
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=eq(n\,30)`, one},
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=eq(n\,30)+eq(n\,120)`, two},
	})
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	mix := func(name string, ins ...string) Result {
		var parts []Participant
		for _, in := range ins {
			p, err := ParseParticipant(in)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		res, err := Mix(context.Background(), parts, Options{Output: filepath.Join(dir, name+".webm"), Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := mix("two", two); res.Gaps != 2 || res.Warnings != 0 {
		t.Errorf("a file that lost two packets: %d gaps, %d warnings; want 2, 0", res.Gaps, res.Warnings)
	}
	if res := mix("both", two, one); res.Gaps != 3 || res.Warnings != 0 {
		t.Errorf("files that lost two packets and one: %d gaps, %d warnings; want 3, 0", res.Gaps, res.Warnings)
	}
}

// ffmpegRuns runs the FFmpeg CLI with each of runs' arguments in turn.
func ffmpegRuns(t *testing.T, runs [][]string) {
	t.Helper()
	for _, args := range runs {
		if out, err := exec.Command("ffmpeg", append([]string{"-v", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v %s", args, err, out)
		}
	}
}

// toneMKA is the FFmpeg arguments that write path: a second of a 440 Hz
// tone, then a second of silence, in 10 ms Opus packets in Matroska.
func toneMKA(path string) []string {
	return []string{"-f", "lavfi", "-i", "sine=f=440:d=1,apad=whole_dur=2", "-c:a", "libopus", "-frame_duration", "10", "-b:a", "64k", path}
}
