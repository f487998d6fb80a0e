//go:build cgo

package recorder

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecordingFolderRemoved: the room's folder (or -record-dir) deleted
// while a recording is written (a clean-up script, an rm -rf): the writer
// went on writing into a file nobody can open again, and its stop
// reported a complete recording at a path where there was nothing. It
// says the file is gone, as it runs and at its stop.
func TestRecordingFolderRemoved(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	feed := feeder(t, r)
	feed(0, 2*time.Second)
	written(t, r)
	if err := os.RemoveAll(filepath.Join(dir, "room")); err != nil {
		t.Fatal(err)
	}
	feed(2*time.Second, 4*time.Second)
	written(t, r)
	if !errors.Is(r.Err(), ErrFileGone) {
		t.Errorf("Err = %v while the recording's file has been deleted, want ErrFileGone", r.Err())
	}
	if path, err := r.Stop(); !errors.Is(err, ErrFileGone) {
		t.Errorf("Stop = %q, %v; want ErrFileGone", path, err)
	}
}

// TestRecordingFolderMoved: -record-dir renamed while a recording is
// written: the file is finalized where it went, and the stop says it is no
// longer at the path the recording was given, and where it is.
func TestRecordingFolderMoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	r, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	feed := feeder(t, r)
	feed(0, 2*time.Second)
	written(t, r)
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	feed(2*time.Second, 4*time.Second)
	written(t, r)
	if err := r.Err(); err != nil {
		t.Errorf("Err = %v for a file moved, still written", err)
	}
	path, err := r.Stop()
	moved := filepath.Join(dir+".old", "room", filepath.Base(path))
	if !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), moved) {
		t.Errorf("Stop = %q, %v; want ErrFileGone naming %s", path, err, moved)
	}
	if p := ffprobe(t, moved); p.Format.Duration == "" {
		t.Errorf("the moved file was not finalized: %+v", p)
	}
}
