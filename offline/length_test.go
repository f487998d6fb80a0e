package offline

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/mixer"
)

// TestMixLastsAsLongAsTheLongestInput: the output lasts as long as the
// longest input, wherever it comes in the list: a 3 s clip with a 2 s
// sound after it, or before it, makes 3 s, not the last one's 2 s.
func TestMixLastsAsLongAsTheLongestInput(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.mka")
	ffmpegRuns(t, [][]string{toneMKA(short)})    // 2 s of sound
	long := mediatest.TestdataPath(t, "p01.ivf") // 3 s of picture
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	for i, order := range [][]string{{long, short}, {short, long}} {
		var parts []Participant
		for _, in := range order {
			p, err := ParseParticipant(in)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := Mix(ctx, parts, Options{Output: filepath.Join(dir, filepath.Base(order[0])+".webm"), Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if d := res.Duration - 3*time.Second; d < -50*time.Millisecond || d > 50*time.Millisecond {
			t.Errorf("order %d (%s first): the mix lasts %v, want the longest input's 3s", i, filepath.Base(order[0]), res.Duration)
		}
	}
}
