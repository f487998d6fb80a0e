package offline

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"mcu/internal/mediatest"
	"mcu/mixer"
)

// TestMixKeepsAnExistingRawFile: a raw video path that already names a
// file fails the mix, and the file is left as it was: only what the mix
// made is removed.
func TestMixKeepsAnExistingRawFile(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	raw := filepath.Join(dir, "out.y4m")
	if err := os.WriteFile(raw, []byte("someone's file"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Output: filepath.Join(dir, "out.webm"), RawVideo: raw, Mixer: mixer.DefaultConfig(), Logger: slog.New(slog.DiscardHandler)}
	if _, err := Mix(context.Background(), []Participant{p}, opts); !errors.Is(err, os.ErrExist) {
		t.Errorf("mix into an existing raw file: %v, want an error saying it exists", err)
	}
	if b, err := os.ReadFile(raw); err != nil || string(b) != "someone's file" {
		t.Errorf("the existing raw file was removed or changed: %q, %v", b, err)
	}
	if _, err := os.Stat(opts.Output); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed mix left %s behind", opts.Output)
	}
}
