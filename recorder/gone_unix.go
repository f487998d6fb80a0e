//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package recorder

import (
	"os"
	"syscall"
)

// unlinked reports whether the open file fi describes has no name left
// (deleted while open).
func unlinked(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
