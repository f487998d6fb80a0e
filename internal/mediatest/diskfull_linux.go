package mediatest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// FillDisk makes every descriptor this process holds open on path write to
// /dev/full from now on, as a disk that has just filled up: each write
// fails with ENOSPC, and the file keeps what was written before. It fails
// the test if the process has no such descriptor.
func FillDisk(t testing.TB, path string) {
	t.Helper()
	want, err := filepath.EvalSymlinks(path) // as /proc/self/fd names it
	if err == nil {
		want, err = filepath.Abs(want)
	}
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range fds {
		name := filepath.Join("/proc/self/fd", e.Name())
		if target, err := os.Readlink(name); err != nil || target != want {
			continue
		}
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Dup3 swaps the open file under the number at once: a write in
		// flight goes to one or the other whole.
		if err := unix.Dup3(int(full.Fd()), fd, unix.O_CLOEXEC); err != nil {
			t.Fatalf("dup /dev/full over %s: %v", path, err)
		}
		found++
	}
	if found == 0 {
		t.Fatalf("no open descriptor on %s", want)
	}
}
