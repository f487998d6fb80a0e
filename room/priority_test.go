//go:build linux

package room

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The nice values internal/sched documents (unexported there): Critical's
// for the room clock and the encoder, Decoder's for each participant's
// video decoding.
const (
	criticalNice = -5
	decoderNice  = 5
)

// TestThreadsAtTheirPriorities guards which threads of a live room get
// which priority: the room clock and the encoder at the critical nice,
// the participant's video decoding at the decoder nice.
func TestThreadsAtTheirPriorities(t *testing.T) {
	if !mayRaisePriority() {
		t.Skip("no privilege to raise a thread's priority (CAP_SYS_NICE): Critical keeps the default")
	}
	before := threadNices(t) // threads of earlier tests count only if their nice changes
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	r := joinSendingClip(t, m, pc)
	videoShown(t, r, 640)

	// Threads that took a nice since the baseline: the room's (the clock
	// loop may lock a thread the runtime already had).
	var critical, decoder int
	deadline := time.Now().Add(2 * time.Second)
	for {
		critical, decoder = 0, 0
		for tid, nice := range threadNices(t) {
			if old, ok := before[tid]; ok && old == nice {
				continue
			}
			switch nice {
			case criticalNice:
				critical++
			case decoderNice:
				decoder++
			}
		}
		if critical >= 2 && decoder >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if critical < 2 || decoder < 1 {
		t.Errorf("room running: %d threads newly at nice %d, want 2 or more (clock loop, encoder); %d at nice %d, want 1 or more (video decoding)",
			critical, criticalNice, decoder, decoderNice)
	}
}

// mayRaisePriority tells whether the process may raise a thread's
// priority, trying it on a thread of its own that ends with the probe.
func mayRaisePriority() bool {
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		ok <- unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), criticalNice) == nil
	}()
	return <-ok
}

// threadNices is the nice value of each of the process's threads, by id
// (threads that end while being read are left out).
func threadNices(t *testing.T) map[int]int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	nices := map[int]int{}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name (field 2) may hold spaces: count from its
		// ')'; the nice value is field 19.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 17 {
			t.Fatalf("thread %d: short stat %q", tid, s)
		}
		n, err := strconv.Atoi(fields[16])
		if err != nil {
			t.Fatalf("thread %d: nice in stat %q: %v", tid, s, err)
		}
		nices[tid] = n
	}
	return nices
}
