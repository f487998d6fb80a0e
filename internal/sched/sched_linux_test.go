package sched

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
	n, err := readNice(tid)
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

// TestPriorityStaysWithGoroutine: Decoder and Critical, called from a
// goroutine that was not locked, lock it to its thread, so the nice value
// they set stays with that goroutine alone and ends with it.
//
// Three checks, the last one deterministic: the goroutine keeps its
// thread through Gosched calls while busy goroutines compete for the Ps;
// goroutines started while it is parked (its thread would otherwise be
// idle, the first the runtime takes for new work) never run on a thread
// with its nice value; and once it returns, its thread is gone from /proc,
// as the runtime ends a thread whose locked goroutine exits (an unlocked
// one would go back to the idle pool, nice and all). The main thread is
// parked instead of ended: a goroutine that ran there is tried again (the
// main thread, parked for good, runs no other).
func TestPriorityStaysWithGoroutine(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func()
		want int
	}{{"Decoder", Decoder, decoderNice}, {"Critical", Critical, criticalNice}} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 {
				tid := checkLockedPriority(t, tc.set, tc.want)
				if tid != os.Getpid() {
					waitThreadEnd(t, tid)
					return
				}
				t.Logf("%s ran on the main thread, which the runtime parks instead of ending: again", tc.name)
			}
			t.Errorf("%s ran on the main thread twice: the thread it ran on the first time was not parked", tc.name)
		})
	}
}

// checkLockedPriority runs set in a new goroutine, checks that the
// goroutine keeps its thread and that nothing else runs on a thread with
// nice want, then lets the goroutine end and returns its thread's id.
func checkLockedPriority(t *testing.T, set func(), want int) int {
	t.Helper()
	type report struct {
		tid, nice, moves int
		err              error
	}
	reports := make(chan report)
	release := make(chan struct{})
	ended := make(chan struct{})
	stop := make(chan struct{})
	var busy sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		busy.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		})
	}
	go func() { // not locked: set must lock it
		defer close(ended)
		set()
		tid := unix.Gettid()
		nice, err := readNice(tid)
		reports <- report{tid: tid, nice: nice, err: err}
		moves := 0
		for range 1000 {
			runtime.Gosched()
			if unix.Gettid() != tid {
				moves++
			}
		}
		reports <- report{tid: tid, moves: moves}
		<-release
	}()
	first := <-reports
	second := <-reports
	close(stop)
	busy.Wait()
	if first.err != nil || first.nice != want {
		close(release)
		<-ended
		if first.err != nil {
			t.Fatal(first.err)
		}
		t.Skipf("nice %d, want %d: the process may not set it (raising a priority needs CAP_SYS_NICE)", first.nice, want)
	}
	if second.moves != 0 {
		t.Errorf("the goroutine left its thread %d times in 1000 Gosched calls", second.moves)
	}

	// The goroutine is parked on release.
	type seen struct {
		tid, nice int
		err       error
	}
	const others = 50
	seens := make(chan seen, others)
	for range others {
		go func() {
			tid := unix.Gettid()
			nice, err := readNice(tid)
			seens <- seen{tid, nice, err}
		}()
	}
	wrong := 0
	for range others {
		switch s := <-seens; {
		case s.err != nil:
			t.Error(s.err)
		case s.tid == first.tid || s.nice == want:
			if wrong++; wrong == 1 {
				t.Errorf("another goroutine ran on thread %d with nice %d (the goroutine's thread: %d)", s.tid, s.nice, first.tid)
			}
		}
	}
	if wrong > 1 {
		t.Errorf("%d of %d goroutines in all ran so", wrong, others)
	}
	close(release)
	<-ended
	return first.tid
}

// waitThreadEnd fails the test if thread tid is still there after 5 s.
func waitThreadEnd(t *testing.T, tid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		nice, err := readNice(tid)
		if os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d (nice %d, %v) outlived its locked goroutine, free to run others", tid, nice, err)
		}
	}
}

// readNice is threadNice for goroutines other than the test's.
func readNice(tid int) (int, error) {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return strconv.Atoi(fields[16])
}
