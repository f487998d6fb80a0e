//go:build cgo && linux

package codec

/*
#include <malloc.h>
*/
import "C"

// FFmpeg and libvpx allocate and free large blocks all the time: pictures,
// frame pools, a 720p encoder's ~40 MB every time a room opens and closes.
// glibc serves blocks above its mmap threshold with mmap and gives them back
// on free, but by default it raises that threshold after the first such
// free, so later large blocks land in the heap arenas and a long-running
// server's RSS grows with fragmentation (50 join/leave cycles: +110 MB).
// A fixed threshold keeps large blocks returnable (TestJoinLeaveLeaks).
func init() {
	C.mallopt(C.M_MMAP_THRESHOLD, 128<<10)
}

// CHeapBytes is the C memory in use (glibc's mallinfo2: the arenas' blocks
// in use and the blocks served by mmap): what FFmpeg, libvpx, x264 and
// Opus hold, which neither Go's heap figures nor, under the race
// detector, RSS tell apart. ok is false where glibc does not say.
func CHeapBytes() (n int64, ok bool) {
	mi := C.mallinfo2()
	return int64(mi.uordblks) + int64(mi.hblkhd), true
}
