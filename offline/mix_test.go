package offline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
	"mcu/mixer"
)

// TestFailedMixLeavesNothing: a mix that fails after its files were made
// (here the mixer refuses the Opus settings) removes the WebM and the raw
// video it created, so the same command can run again.
func TestFailedMixLeavesNothing(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := mixer.DefaultConfig()
	cfg.Audio.Bitrate = 1 // refused by the mixer, not by the WebM writer
	opts := Options{Output: filepath.Join(dir, "out.webm"), RawVideo: filepath.Join(dir, "out.y4m"), Mixer: cfg}
	if _, err := Mix(context.Background(), []Participant{p}, opts); err == nil {
		t.Fatal("mix with a bad Opus bitrate succeeded")
	}
	for _, path := range []string{opts.Output, opts.RawVideo} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed mix left %s behind", path)
		}
	}
}

// TestStoppedMixLeavesNoEmptyFile: a mix stopped before it wrote anything
// (here, before it began: as a Ctrl-C while the inputs are measured)
// makes no output, so the same command can run again.
func TestStoppedMixLeavesNoEmptyFile(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out.webm")
	if _, err := Mix(ctx, []Participant{p}, Options{Output: out, Mixer: mixer.DefaultConfig()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a stopped mix returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a mix stopped before writing left %s behind (%v)", out, err)
	}
}

// TestMixWithEmptyTiles: a canvas too small for everyone's tile (speaker
// layout at 16x16: the thumbnails have no room) still mixes to the end;
// each file's decoder hears of its empty tile and goes on.
func TestMixWithEmptyTiles(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	parts := []Participant{p, p, p, p, p, p, p, p, p, p} // the thumbnails get 0x0 cells
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 16, 16
	cfg.Layout = layout.Speaker
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Mix(ctx, parts, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg})
	if err != nil {
		t.Fatalf("mix: %v", err)
	}
	if res.VideoFrames == 0 {
		t.Error("no video frames")
	}
}

// TestMixOfEmptyInputsNamesThem: inputs that hold no picture and no sound
// (an IVF file with its header only) fail the mix with a message naming
// them, and leave no output.
func TestMixOfEmptyInputsNamesThem(t *testing.T) {
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.ivf")
	if err := os.WriteFile(empty, data[:32], 0o644); err != nil { // the file header, no frame
		t.Fatal(err)
	}
	p, err := ParseParticipant(empty)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.webm")
	_, err = Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: mixer.DefaultConfig()})
	if err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("mix of an empty input: %v, want an error naming %s", err, empty)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed mix left %s behind", out)
	}
}
