//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package recorder

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes f's exclusive lock (flock) without waiting: false when
// another open file holds it. A file system without locks counts as
// locked by no one.
func lockFile(f *os.File) (bool, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB) }); err != nil {
		return false, err
	}
	switch {
	case errors.Is(ferr, syscall.EWOULDBLOCK):
		return false, nil
	case errors.Is(ferr, syscall.ENOLCK), errors.Is(ferr, syscall.EOPNOTSUPP), errors.Is(ferr, syscall.EINVAL):
		return true, nil
	}
	return ferr == nil, ferr
}
