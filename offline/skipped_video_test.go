package offline

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"mcu/internal/mediatest"
)

// TestParseParticipantNamesASkippedPicture: a file whose picture mcu cannot
// read (Motion JPEG beside Opus in Matroska, as some webcams record) still
// gives its sound, and the picture left out is named: without that word
// the tile is a placeholder for no reason the user is told.
func TestParseParticipantNamesASkippedPicture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webcam.mkv")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=1",
		"-i", mediatest.TestdataPath(t, "p01.ogg"), "-map", "0:v", "-map", "1:a", "-c:v", "mjpeg", "-c:a", "copy", "-t", "1", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Video != "" || p.Audio != path {
		t.Errorf("video %q, audio %q: want the sound only", p.Video, p.Audio)
	}
	if want := []string{path + ": video mjpeg"}; !slices.Equal(p.Skipped, want) {
		t.Errorf("skipped %q, want %q", p.Skipped, want)
	}
	// With its picture from another file, nothing is missing.
	p, err = ParseParticipant(path + "+" + mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Video == "" || len(p.Skipped) != 0 {
		t.Errorf("video %q, skipped %q: want the IVF's picture and nothing skipped", p.Video, p.Skipped)
	}
}
