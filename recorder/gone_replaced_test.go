//go:build cgo

package recorder

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRecordingReplacedAtItsPath: a recording's file moved away while it
// is written, another file put at its path (a copy, or another server
// finishing it in place): the stop says the recording is no longer at its
// path, and where it went, rather than hand out the path of the other
// file as the recording.
func TestRecordingReplacedAtItsPath(t *testing.T) {
	r := startRecording(t)
	feed := feeder(t, r)
	feed(0, 2*time.Second)
	written(t, r)
	moved := r.Path() + ".old"
	if err := os.Rename(r.Path(), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.Path(), []byte("another file"), 0o640); err != nil {
		t.Fatal(err)
	}
	feed(2*time.Second, 3*time.Second)
	path, err := r.Stop()
	if !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), moved) {
		t.Errorf("Stop = %q, %v; want ErrFileGone naming %s", path, err, moved)
	}
}
