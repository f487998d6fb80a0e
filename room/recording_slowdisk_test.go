//go:build linux

package room

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcu/recorder"
)

// diskStall puts a pipe between a recording's writer and its file: the
// writer's fd is replaced (dup2) by a pipe's blocking write end, and a
// pump copies the pipe into the file. Paused, the pump reads nothing: the
// writer's write(2) blocks once the pipe (a page) is full, as on a stalled
// NFS mount or a saturated disk.
type diskStall struct {
	mu     sync.Mutex
	paused bool
	cond   *sync.Cond
	file   int // the file's own description, for the pump
	read   int
}

func stallFile(t *testing.T, path string) *diskStall {
	t.Helper()
	fd := -1
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && p == path {
			var n int
			for _, c := range e.Name() {
				n = n*10 + int(c-'0')
			}
			fd = n
		}
	}
	if fd < 0 {
		t.Fatalf("no fd for %s", path)
	}
	saved, err := syscall.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil { // blocking, unlike os.Pipe
		t.Fatal(err)
	}
	// The smallest pipe (a page): an empty room's static picture makes
	// little data, which a 64 KB pipe would take for a long time.
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), 1031 /* F_SETPIPE_SZ */, 4096); e != 0 {
		t.Fatal(e)
	}
	if err := syscall.Dup3(p[1], fd, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Close(p[1])
	s := &diskStall{file: saved, read: p[0]}
	s.cond = sync.NewCond(&s.mu)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			s.mu.Lock()
			for s.paused {
				s.cond.Wait()
			}
			s.mu.Unlock()
			n, err := syscall.Read(s.read, buf)
			if n <= 0 || err != nil {
				syscall.Close(s.read)
				syscall.Close(s.file)
				return
			}
			syscall.Write(s.file, buf[:n])
		}
	}()
	return s
}

func (s *diskStall) pause(on bool) {
	s.mu.Lock()
	s.paused = on
	s.mu.Unlock()
	s.cond.Broadcast()
}

// TestSlowDiskHoldsNoMixer: a recording whose file's writes block
// (the disk stalls) until its queue overflows costs the room's mixer
// nothing: it encodes as many pictures and sound frames a second, with no
// more late ticks nor dropped pictures, as before; the room's state and a
// second start answer at once; the recording drops frames (a bounded
// queue), and its stop waits for the disk, returning once it is back.
func TestSlowDiskHoldsNoMixer(t *testing.T) {
	cfg := DefaultConfig()
	m := testManagerWith(t, cfg)
	var stall *diskStall
	logged := &records{level: slog.LevelWarn}
	t.Cleanup(func() { startRecorder = recorder.Start })
	startRecorder = func(dir, room string, now time.Time, wc recorder.WebMConfig, _ *slog.Logger) (*recorder.Recording, error) {
		rec, err := recorder.Start(dir, room, now, wc, slog.New(logged))
		if err == nil {
			stall = stallFile(t, rec.Path())
		}
		return rec, err
	}
	r, _ := recordingRoom(t, m, "slow")
	defer m.endJoin(r, Viewer)
	const span = 2 * time.Second
	a := r.mixer.Stats()
	time.Sleep(span)
	b := r.mixer.Stats()
	stall.pause(true)
	t0 := time.Now()
	overflowed := func() bool {
		return slices.ContainsFunc(logged.all(), func(r slog.Record) bool { return strings.Contains(r.Message, "falls behind the disk") })
	}
	for !overflowed() && time.Since(t0) < 15*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	filled := time.Since(t0)
	if !overflowed() {
		t.Error("the recording's queue did not overflow in 15 s of a stalled disk")
	}
	time.Sleep(2 * time.Second) // dropping
	c := r.mixer.Stats()
	stalled := time.Since(t0)
	start := time.Now()
	info := r.Info()
	if _, err := r.StartRecording(); err != ErrRecording {
		t.Errorf("second start during the stall: %v, want ErrRecording", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("Info and a second start took %v during the stall", d)
	}
	if info.Recording == nil {
		t.Error("no recording in the room's state during the stall")
	}
	rate := func(n uint64, d time.Duration) float64 { return float64(n) / d.Seconds() }
	t.Logf("queue full %v into the stall", filled.Round(time.Millisecond))
	t.Logf("before: %.1f pictures/s %.1f sound frames/s, late %d dropped %d", rate(b.VideoFrames-a.VideoFrames, span), rate(b.AudioFrames-a.AudioFrames, span), b.LateTicks-a.LateTicks, b.DroppedFrames-a.DroppedFrames)
	t.Logf("stall:  %.1f pictures/s %.1f sound frames/s, late %d dropped %d", rate(c.VideoFrames-b.VideoFrames, stalled), rate(c.AudioFrames-b.AudioFrames, stalled), c.LateTicks-b.LateTicks, c.DroppedFrames-b.DroppedFrames)
	if got, was := rate(c.VideoFrames-b.VideoFrames, stalled), rate(b.VideoFrames-a.VideoFrames, span); got < was*0.9 {
		t.Errorf("%.1f pictures/s during the stall, %.1f before", got, was)
	}
	if got, was := rate(c.AudioFrames-b.AudioFrames, stalled), rate(b.AudioFrames-a.AudioFrames, span); got < was*0.9 {
		t.Errorf("%.1f sound frames/s during the stall, %.1f before", got, was)
	}
	if got := c.LateTicks - b.LateTicks + c.DroppedFrames - b.DroppedFrames; got > 5+b.LateTicks-a.LateTicks+b.DroppedFrames-a.DroppedFrames {
		t.Errorf("%d late ticks and dropped pictures during the stall", got)
	}
	stopped := async(r.StopRecording)
	select {
	case res := <-stopped:
		t.Fatalf("stop returned during the stall: %v", res.err)
	case <-time.After(time.Second):
	}
	stall.pause(false)
	select {
	case res := <-stopped:
		// An error: the file's descriptor is a pipe now, which the
		// finalizing cannot seek in, and not the file at its path.
		t.Logf("stop after the stall: %v", res.err)
	case <-time.After(10 * time.Second):
		t.Fatal("stop not returned 10 s after the disk came back")
	}
}
