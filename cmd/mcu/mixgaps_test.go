package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMixSaysTheGapsFilled: mcu mix of a file that lost a packet says the
// gap was filled, and not that anything was damaged.
func TestMixSaysTheGapsFilled(t *testing.T) {
	dir := t.TempDir()
	whole, lossy := filepath.Join(dir, "whole.mka"), filepath.Join(dir, "lossy.mka")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "libopus", "-frame_duration", "10", "-b:a", "64k", whole},
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=eq(n\,30)`, lossy},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-v", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v %s", args, err, out)
		}
	}
	code, stdout, stderr := mcu(t, "mix", "-q", "-size", "160x90", "-o", filepath.Join(dir, "out.webm"), lossy)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, ", 1 gap in the sound filled") || strings.Contains(stdout, "damaged") {
		t.Errorf("mix of a file that lost a packet:\nstdout %q", stdout)
	}
}
