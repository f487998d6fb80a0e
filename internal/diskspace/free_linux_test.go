package diskspace

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFree: a folder's free space is what its file system has left for
// anyone (never more than the disk, never the root-only reserve), and a
// folder that is not there has none to tell.
func TestFree(t *testing.T) {
	dir := t.TempDir()
	got, ok := Free(dir)
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	unit := uint64(st.Frsize)
	if unit == 0 {
		unit = uint64(st.Bsize)
	}
	size, free := st.Blocks*unit, st.Bfree*unit
	if !ok || got == 0 || got > free || got != st.Bavail*unit {
		t.Errorf("Free(%s) = %d, %v; want what anyone may write, %d of %d free on a %d-byte disk", dir, got, ok, st.Bavail*unit, free, size)
	}
	if n, ok := Free(filepath.Join(dir, "gone", "away")); ok {
		t.Errorf("Free of a missing folder = %d, ok; want not ok", n)
	}
}
