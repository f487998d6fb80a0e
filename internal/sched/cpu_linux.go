package sched

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time (user and system) the calling thread has used.
// clock_gettime never blocks, so it is called raw, without telling the
// scheduler (the vDSO does not serve thread clocks): unix.ClockGettime's
// entersyscall/exitsyscall could hand the thread's P away and back.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if _, _, errno := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_THREAD_CPUTIME_ID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
