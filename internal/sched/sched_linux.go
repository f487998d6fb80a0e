// Package sched gives mcu's threads their priorities: the mixer loop and the
// single encoder, which every receiver waits on, above the participants'
// decoders.
package sched

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Nice values (-20 is the highest priority, 19 the lowest; 0 the default).
const (
	// decoderNice: a participant's decoder runs behind the encoder; when
	// the machine is busy, a late decoder only shows its participant's
	// next picture a little later (the mixer takes the latest one).
	decoderNice = 5
	// criticalNice: the mixer loop and the encoder. Only a process allowed
	// to (root, or CAP_SYS_NICE) gets it; others keep the default, still
	// above the decoders.
	criticalNice = -5
)

// Decoder moves the calling goroutine to its own OS thread, for good, and
// lowers that thread's priority. The thread ends with the goroutine, so
// the lower priority never reaches other goroutines.
func Decoder() { set(decoderNice) }

// Critical moves the calling goroutine to its own OS thread, for good, and
// tries to raise that thread's priority.
func Critical() { set(criticalNice) }

func set(nice int) {
	runtime.LockOSThread()
	// On failure (no privilege to raise it) the thread keeps its priority.
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice)
}

// Background lowers the priority of every thread of the process to nice
// (threads started later inherit it from the thread that starts them). It
// is for a tool sharing the machine with the server it measures, such as
// mcu load: lowering a priority needs no privilege.
func Background(nice int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		// A thread may have ended since the listing.
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, nice); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("sched: nice %d for thread %d: %w", nice, tid, err)
		}
	}
	return nil
}

// OwnCPU locks the calling goroutine to its thread and keeps that thread
// on one CPU, the one it runs on now (several processes that do this
// spread as the scheduler had spread them), where a thread busy all the
// time keeps its working set in that CPU's cache instead of following the
// scheduler from one to another. Other threads may still run there. It is
// for the offline mix's encoder (mcu mix of nine busy clips on two CPUs,
// two batches of 8 interleaved runs: 0.6 % and 2.2 % less CPU time, 5 %
// and 6 % less wall time; moving every other thread off that CPU as well
// saved as much CPU at nine, but at sixteen, where the decoders are the
// larger part, cost 6 % of wall time). With a single CPU to use it only
// locks.
func OwnCPU() {
	runtime.LockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		return
	}
	var cpu uint32
	if _, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); errno != 0 {
		return
	}
	var one unix.CPUSet
	one.Set(int(cpu))
	_ = unix.SchedSetaffinity(0, &one) // on failure it goes on where it may
}

// CanRaise reports whether this process may give a thread the higher
// priority Critical asks for (root, CAP_SYS_NICE, or an RLIMIT_NICE that
// allows it). It tries on a thread of its own, which ends with the probe.
func CanRaise() bool {
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		ok <- unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), criticalNice) == nil
	}()
	return <-ok
}
