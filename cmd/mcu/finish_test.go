package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mcu/internal/diskspace"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/recorder"
)

// TestServeFinishesKilledRecordings: at start, the server finishes the
// recordings a killed server left in its -record-dir (no Duration, no
// Cues: players cannot seek in them), once nothing has written to them
// for finishQuiet, and says so. Here the killed recording is a mix's file
// as a kill leaves one: its Segment's size unknown, cut in a cluster.
func TestServeFinishesKilledRecordings(t *testing.T) {
	dir := t.TempDir()
	killed := killedRecording(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, stderr := serveUntilLogged(t, ctx, "finished a recording", "-record-dir", dir)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), killed) {
		t.Errorf("the log does not name the file:\n%s", stderr.String())
	}
	if un, _ := recorder.Unfinished(killed); un {
		t.Fatal("still unfinished")
	}
	after, _ := os.ReadFile(killed)
	if mediatest.WebMElements(after)[mediatest.EBMLCues] != 1 {
		t.Error("the finished recording has no Cues")
	}
	p, err := mediatest.ProbeFile(context.Background(), killed)
	if err != nil {
		t.Fatal(err)
	}
	if p.Duration < time.Second || p.Duration > clipLength {
		t.Errorf("the finished recording lasts %v, want 1 s to %v (two thirds of the mix's bytes)", p.Duration, clipLength)
	}
}

// killedRecording writes in dir's room folder r a recording as a killed
// server leaves one (a mix's file, its Segment's size unknown, cut in a
// cluster), unwritten for an hour, and returns its path.
func killedRecording(t *testing.T, dir string) string {
	t.Helper()
	whole := mixOut(t, goldenCases[1])
	data, err := os.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	seg := bytes.Index(data, []byte{0x18, 0x53, 0x80, 0x67})
	if seg < 0 || data[seg+4] != 0x01 {
		t.Fatalf("no 8-byte Segment size in the mix's file at %d", seg)
	}
	copy(data[seg+4:], []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	data = data[:len(data)*2/3]
	killed := filepath.Join(dir, "r", "r-20261206T100000Z.webm")
	if err := os.MkdirAll(filepath.Dir(killed), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(killed, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if un, err := recorder.Unfinished(killed); err != nil || !un {
		t.Fatalf("the killed recording reads as unfinished %v (%v)", un, err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(killed, old, old); err != nil {
		t.Fatal(err)
	}
	return killed
}

// serveUntilLogged runs mcu serve with args (and -listen 127.0.0.1:0,
// finishQuiet at 100 ms) until its log says want, within 20 s.
func serveUntilLogged(t *testing.T, ctx context.Context, want string, args ...string) (<-chan error, *logbuf.Buffer) {
	t.Helper()
	q := finishQuiet
	t.Cleanup(func() { finishQuiet = q })
	finishQuiet = 100 * time.Millisecond
	stderr := new(logbuf.Buffer)
	done := make(chan error, 1)
	go func() {
		done <- serveCommand(ctx, append([]string{"-listen", "127.0.0.1:0"}, args...), &bytes.Buffer{}, stderr)
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged in 20 s:\n%s", want, stderr.String())
		}
	}
	return done, stderr
}

// TestServeFinishKeepsMinFree: a killed server's recording whose copy
// would take the disk under -record-min-free is left as it was, and the
// log says why.
func TestServeFinishKeepsMinFree(t *testing.T) {
	dir := t.TempDir()
	killed := killedRecording(t, dir)
	before, err := os.ReadFile(killed)
	if err != nil {
		t.Fatal(err)
	}
	free, ok := diskspace.Free(dir)
	if !ok {
		t.Skip("the free space of the test's folder is not known here")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	minFree := strconv.FormatUint(free>>20+1024, 10) + "M" // a GiB more than there is
	done, stderr := serveUntilLogged(t, ctx, "could not all be finished", "-record-dir", dir, "-record-min-free", minFree)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(killed); !bytes.Equal(after, before) {
		t.Error("the recording was changed on a disk under -record-min-free")
	}
	if !strings.Contains(stderr.String(), "record-min-free") && !strings.Contains(stderr.String(), "keeps") {
		t.Errorf("the log does not say the disk is short:\n%s", stderr.String())
	}
}

// TestServeRemovesKilledRecordingWithoutFrame: a recording a server was
// killed in within its first second (its header alone on the disk) is
// removed at the next start, and the log names it.
func TestServeRemovesKilledRecordingWithoutFrame(t *testing.T) {
	dir := t.TempDir()
	killed := killedRecording(t, dir)
	data, err := os.ReadFile(killed)
	if err != nil {
		t.Fatal(err)
	}
	cluster := bytes.Index(data, []byte{0x1f, 0x43, 0xb6, 0x75})
	if cluster < 0 {
		t.Fatal("no cluster")
	}
	if err := os.WriteFile(killed, data[:cluster], 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(killed, old, old); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, stderr := serveUntilLogged(t, ctx, "removed a recording", "-record-dir", dir)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("the recording without a frame is still there: %v", err)
	}
	if !strings.Contains(stderr.String(), killed) || strings.Contains(stderr.String(), "could not all be finished") {
		t.Errorf("log:\n%s", stderr.String())
	}
}

// TestServeFinishesOnceThereIsRoom: an unfinished recording the server
// could not finish at start for want of space (or one of its own whose
// disk filled, its finalizing failed too) is finished once the disk has
// room again, without a restart: the server looks again every
// finishEvery.
func TestServeFinishesOnceThereIsRoom(t *testing.T) {
	dir := t.TempDir()
	killed := killedRecording(t, dir)
	var free atomic.Uint64
	real := diskspace.Free
	diskspace.Free = func(string) (uint64, bool) { return free.Load(), true }
	t.Cleanup(func() { diskspace.Free = real })
	every := finishEvery
	t.Cleanup(func() { finishEvery = every })
	finishEvery = 300 * time.Millisecond
	free.Store(1 << 20) // under -record-min-free, 256M
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done, stderr := serveUntilLogged(t, ctx, "could not all be finished", "-record-dir", dir)
	free.Store(100 << 30) // room again
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stderr.String(), "finished a recording"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if un, _ := recorder.Unfinished(killed); un {
		t.Errorf("the recording is still unfinished with room on the disk again:\n%s", stderr.String())
	}
	if n := strings.Count(stderr.String(), "could not all be finished"); n != 1 {
		t.Errorf("the failure logged %d times, want once", n)
	}
}
