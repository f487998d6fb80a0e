//go:build linux

package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/recorder"
)

// hangFile makes the writes to the open file at path block for good, as
// on a disk that hangs: its descriptor is replaced by a full pipe's write
// end. The returned func drains the pipe, letting the writes go on (to
// nowhere).
func hangFile(t *testing.T, path string) (release func()) {
	t.Helper()
	fd := -1
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && p == path {
			fd, _ = strconv.Atoi(e.Name())
		}
	}
	if fd < 0 {
		t.Fatalf("no descriptor for %s", path)
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil { // blocking, unlike os.Pipe
		t.Fatal(err)
	}
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), 1031 /* F_SETPIPE_SZ */, 4096)
	if err := syscall.Dup3(p[1], fd, 0); err != nil {
		t.Fatal(err)
	}
	syscall.Close(p[1])
	return func() {
		go func() {
			buf := make([]byte, 64<<10)
			for {
				if n, err := syscall.Read(p[0], buf); n <= 0 || err != nil {
					syscall.Close(p[0])
					return
				}
			}
		}()
	}
}

// TestShutdownTimeoutOnAHungDisk: SIGTERM while the recordings' disk hangs
// (a recording's writes and the finisher of killed recordings both held
// on it): the process gives up within -shutdown-timeout of the signal,
// not twice that (the rooms' close, then the finisher's wait, each given
// the whole timeout), which the service's TimeoutStopSec (40 s for the
// 20 s default) would end with a SIGKILL.
func TestShutdownTimeoutOnAHungDisk(t *testing.T) {
	q := finishQuiet
	hung, over := make(chan struct{}), make(chan struct{}, 1)
	t.Cleanup(func() {
		close(hung)
		<-over // the finisher, given up on, has read the variables
		finishQuiet, finishAll = q, recorder.FinishAll
	})
	finishQuiet = 100 * time.Millisecond
	finishAll = func(context.Context, string, time.Duration, time.Time, uint64) ([]string, []string, error) {
		<-hung // in a read of the hung disk: the context is not looked at
		over <- struct{}{}
		return nil, nil, nil
	}
	const timeout = 3 * time.Second
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := new(logbuf.Buffer), new(logbuf.Buffer)
	done := make(chan error, 1)
	go func() {
		done <- serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", dir, "-shutdown-timeout", timeout.String()}, stdout, stderr)
	}()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(20 * time.Millisecond) {
		if url = regexp.MustCompile(`https?://[0-9.:]+`).FindString(stdout.String()); url == "" && time.Now().After(deadline) {
			t.Fatalf("no address printed:\n%s", stderr.String())
		}
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel()
	c, err := client.Connect(cctx, client.Options{Server: url, Room: "hang",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := http.Post(url+"/api/rooms/hang/recording", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start recording: %d", resp.StatusCode)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "hang", "*.webm"))
	if len(files) != 1 {
		t.Fatalf("recordings: %v", files)
	}
	path, _ := filepath.EvalSymlinks(files[0])
	time.Sleep(500 * time.Millisecond)
	release := hangFile(t, path)
	defer release()
	time.Sleep(2 * time.Second) // the writer held, its queue filling
	cancel()                    // SIGTERM
	begun := time.Now()
	select {
	case err := <-done:
		took := time.Since(begun)
		t.Logf("stopped %v after the signal: %v", took.Round(10*time.Millisecond), err)
		if took > timeout+time.Second {
			t.Errorf("the process stopped %v after SIGTERM, want within -shutdown-timeout (%v)", took.Round(10*time.Millisecond), timeout)
		}
	case <-time.After(4 * timeout):
		t.Fatalf("serve not returned %v after the signal", 4*timeout)
	}
}
