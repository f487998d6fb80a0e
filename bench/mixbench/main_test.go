package main

import (
	"syscall"
	"testing"
	"time"
)

// TestRunCountsSystemTime guards every CPU figure: a run's CPU is its user
// plus system time, so work the kernel does for it counts.
func TestRunCountsSystemTime(t *testing.T) {
	// dd copying from /dev/zero spends nearly all its time in the kernel
	// (about 0.2 s here). What this process's reaped children used is the
	// reference, so a loaded machine's wall time does not matter.
	before := childrenUsage(t)
	u, _, err := run("dd", "if=/dev/zero", "of=/dev/null", "bs=1M", "count=20000", "status=none")
	if err != nil {
		t.Fatal(err)
	}
	after := childrenUsage(t)
	user := time.Duration(after.Utime.Nano() - before.Utime.Nano())
	sys := time.Duration(after.Stime.Nano() - before.Stime.Nano())
	if sys < 50*time.Millisecond || sys < 2*user {
		t.Fatalf("dd spent %v in the kernel and %v in user space: not the kernel-heavy run this test needs", sys, user)
	}
	if u.CPU < (user+sys)*9/10 {
		t.Errorf("run reports %v of CPU for a command that used %v user + %v system", u.CPU, user, sys)
	}
}

func childrenUsage(t *testing.T) syscall.Rusage {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		t.Fatal(err)
	}
	return ru
}
