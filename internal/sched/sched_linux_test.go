package sched

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestThreadPriorities (before TestBackground, which an unprivileged
// process cannot undo): Decoder and Critical give the calling goroutine's
// thread their nice values (+5 and -5), and only that thread:
// the test's thread keeps its value. Raising a priority needs
// CAP_SYS_NICE; without it the thread keeps the value it had.
func TestThreadPriorities(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func()
		want int
	}{{"Decoder", Decoder, 5}, {"Critical", Critical, -5}} { // as the README says
		t.Run(tc.name, func(t *testing.T) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			mine := threadNice(t, unix.Gettid())
			type result struct {
				before, after int
				allowed       bool // setting the value by hand works
			}
			done := make(chan result)
			go func() {
				runtime.LockOSThread() // to read the value before on the same thread; the thread ends with the goroutine
				tid := unix.Gettid()
				before := threadNice(t, tid)
				tc.set()
				after := threadNice(t, tid)
				done <- result{before, after, unix.Setpriority(unix.PRIO_PROCESS, tid, tc.want) == nil}
			}()
			r := <-done
			switch {
			case r.allowed && r.after != tc.want:
				t.Errorf("%s: nice %d, want %d", tc.name, r.after, tc.want)
			case !r.allowed && r.after != r.before:
				t.Errorf("%s without the privilege to set %d: nice %d, want %d (kept)", tc.name, tc.want, r.after, r.before)
			}
			if got := threadNice(t, unix.Gettid()); got != mine {
				t.Errorf("%s changed another thread's nice: %d, was %d", tc.name, got, mine)
			}
		})
	}
}

// TestBackground lowers the test process, then makes the runtime start
// threads (goroutines locked to threads, all blocked at once, need one each)
// and checks every thread's nice value in /proc: the old ones were lowered,
// the new ones inherited it.
func TestBackground(t *testing.T) {
	old := threadNice(t, unix.Gettid())
	t.Cleanup(func() { _ = Background(old) }) // for the tests after it; without privilege it stays
	before := len(threads(t))
	if err := Background(7); err != nil {
		t.Fatal(err)
	}
	const locked = 4
	tids := make(chan int)
	release := make(chan struct{})
	defer close(release)
	for range locked {
		go func() {
			runtime.LockOSThread()
			tids <- unix.Gettid()
			<-release
		}()
	}
	distinct := map[int]bool{}
	for range locked {
		distinct[<-tids] = true
	}
	all := threads(t)
	if len(distinct) != locked || len(all) <= before {
		t.Fatalf("%d threads before, %d after, %d distinct locked ones: the test started no thread", before, len(all), len(distinct))
	}
	for _, id := range all {
		if got := threadNice(t, id); got != 7 {
			t.Errorf("thread %d has nice %d, want 7", id, got)
		}
	}
}

func threads(t *testing.T) []int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for _, task := range tasks {
		if id, err := strconv.Atoi(task.Name()); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// threadNice reads a thread's nice value (field 19 of its stat line).
func threadNice(t *testing.T, tid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	n, err := strconv.Atoi(fields[16])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOwnCPU: the calling goroutine's thread is kept on one CPU, one the
// process may use, and only that thread: the test's own keeps its set.
func TestOwnCPU(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	if all.Count() < 2 {
		t.Skip("the process may use a single CPU")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	got := make(chan unix.CPUSet)
	go func() { // its thread ends with it, locked
		OwnCPU()
		var set unix.CPUSet
		unix.SchedGetaffinity(0, &set)
		got <- set
	}()
	set := <-got
	inAll := false
	for cpu := range len(set) * 64 {
		if set.IsSet(cpu) {
			inAll = all.IsSet(cpu)
		}
	}
	if set.Count() != 1 || !inAll {
		t.Errorf("the thread may run on %d CPUs (one of the process's: %v), want one of them alone", set.Count(), inAll)
	}
	var mine unix.CPUSet
	if unix.SchedGetaffinity(0, &mine); mine != all {
		t.Errorf("the test's thread may run on %d CPUs, was %d", mine.Count(), all.Count())
	}
}
