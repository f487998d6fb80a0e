package room

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// decoderNice is how much less CPU priority a participant's decoder thread
// gets than the room's mixer and encoder.
const decoderNice = 5

// lowerPriority moves the calling goroutine to its own OS thread, for good,
// and lowers that thread's priority. Decoders run there: when the machine
// is busy the single encoder, which every receiver waits on, runs first,
// and a late decoder only shows its participant's newer picture a little
// later (the mixer takes the latest one). The thread ends with the
// goroutine, so the lower priority never leaks to other goroutines.
func lowerPriority() {
	runtime.LockOSThread()
	// Raising one's own nice value needs no privilege; on failure the
	// decoder simply runs at the normal priority.
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), decoderNice)
}

// encoderNice is the priority a room's mixer and encoder threads ask for;
// only a process allowed to (root, or CAP_SYS_NICE) gets it.
const encoderNice = -5

// raisePriority moves the calling goroutine (a room's mixer loop, or its
// encoder) to its own OS thread and tries to raise its priority: every
// receiver waits on these two. Unprivileged, the thread keeps the normal
// priority, still above the decoders'.
func raisePriority() {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), encoderNice)
}
