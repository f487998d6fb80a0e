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
	size := st.Blocks * uint64(st.Bsize)
	if !ok || got == 0 || got > size || got > st.Bfree*uint64(st.Bsize) {
		t.Errorf("Free(%s) = %d, %v; want 0 < free ≤ %d of a %d-byte disk", dir, got, ok, st.Bfree*uint64(st.Bsize), size)
	}
	if n, ok := Free(filepath.Join(dir, "gone", "away")); ok {
		t.Errorf("Free of a missing folder = %d, ok; want not ok", n)
	}
}
