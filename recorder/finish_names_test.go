//go:build cgo

package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFinishAllPastShortNames: files in a room folder whose names begin
// as a recording's but are too short to hold its time ("r-.webm",
// "r-old.webm", put there by hand) are left alone, and the server's start
// goes on to finish the recording beside them.
func TestFinishAllPastShortNames(t *testing.T) {
	dir := t.TempDir()
	killed, _ := quietKilled(t, dir, "r", "r-20260101T000001Z.webm")
	for _, name := range []string{"r-.webm", "r-old.webm", "r-2026.webm"} {
		if err := os.WriteFile(filepath.Join(dir, "r", name), []byte("notes"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0)
	if err != nil || len(got) != 1 || got[0] != killed {
		t.Errorf("FinishAll: %v, %v; want %s finished", got, err, killed)
	}
}

// TestFinishFileLeavesAFinishedFile: mcu finish given a recording that
// was stopped as it should be says so (not ok, no error) and leaves the
// file as it is.
func TestFinishFileLeavesAFinishedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r-20260101T000001Z.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := FinishFile(context.Background(), path)
	if ok || err != nil {
		t.Errorf("FinishFile of a finished recording: %v, %v; want false and no error", ok, err)
	}
	if after, err := os.Stat(path); err != nil || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the finished recording was written again (%v)", err)
	}
}
