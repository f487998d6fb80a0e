//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFinishFailedLeavesNoCopy: a finish that fails at its end (the copy
// cannot be synced: a failing disk) leaves the recording as it was and
// takes its copy away: a copy left behind would hold as much of the disk
// as the recording, on a disk that is failing or full already.
func TestFinishFailedLeavesNoCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r-20260101T000001Z.webm")
	before := killedRecording(t, path)
	replaceSync(t, func(f *os.File, real func(*os.File) error) error {
		if strings.HasSuffix(f.Name(), finishingSuffix) {
			return syscall.EIO
		}
		return real(f)
	})
	ok, err := FinishFile(context.Background(), path)
	if !errors.Is(err, syscall.EIO) {
		t.Errorf("FinishFile on a failing disk: %v, %v; want EIO", ok, err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the recording changed (%v)", err)
	}
	if _, err := os.Stat(path + finishingSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed copy is still there: %v", err)
	}
}
