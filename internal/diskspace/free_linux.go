package diskspace

import "golang.org/x/sys/unix"

func free(dir string) (bytes uint64, ok bool) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false
	}
	unit := st.Frsize // the unit of the block counts, as df reads them; some file systems (FUSE) have a larger Bsize
	if unit <= 0 {
		unit = st.Bsize
	}
	if unit <= 0 {
		return 0, false
	}
	return st.Bavail * uint64(unit), true
}
