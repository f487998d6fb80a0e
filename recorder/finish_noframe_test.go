//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestFinishRemovesFileWithoutFrame: a server killed within a recording's
// first second leaves its header alone (the first cluster still in
// memory), or a first cluster cut short before its first frame: nothing
// of it plays. FinishAll removes it and says so (it was left with an
// error at every start, "they play, but players cannot seek in them", or
// replaced by a WebM of no frame, which FFmpeg's readers refuse), and
// finds nothing to do the next time.
func TestFinishRemovesFileWithoutFrame(t *testing.T) {
	for _, cut := range []string{"header alone", "cluster cut short"} {
		t.Run(cut, func(t *testing.T) {
			dir := t.TempDir()
			path, data := quietKilled(t, dir, "r", "r-20260101T000001Z.webm")
			c := bytes.Index(data, []byte{0x1f, 0x43, 0xb6, 0x75}) // the first Cluster
			if c < 0 {
				t.Fatal("no cluster")
			}
			n := c
			if cut != "header alone" {
				n = c + 40 // its ID, size, time and a block's start
			}
			if err := os.WriteFile(path, data[:n], 0o640); err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			finished, removed, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0)
			if err != nil || len(finished) != 0 || !slices.Equal(removed, []string{path}) {
				t.Fatalf("FinishAll: finished %v, removed %v, %v; want %s removed", finished, removed, err, path)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s is still there: %v", filepath.Base(path), err)
			}
			if finished, removed, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0); err != nil || len(finished)+len(removed) != 0 {
				t.Errorf("a second FinishAll: finished %v, removed %v, %v; want nothing", finished, removed, err)
			}
		})
	}
}

// TestHeaderOnAFullDisk: a writer whose file cannot take its header (the
// disk full: every write ENOSPC) is not made. FFmpeg flushes the header
// without telling a failed write: a recording "started" (201,
// recording_started) and its stop left an empty file, "failed", kept.
func TestHeaderOnAFullDisk(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
	if err != nil {
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "r.webm") // never created
	w, err := newWebM(full, path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err == nil {
		w.discard()
		t.Fatal("newWebM on a full disk succeeded; want ENOSPC")
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("newWebM on a full disk: %v; want ENOSPC", err)
	}
}
