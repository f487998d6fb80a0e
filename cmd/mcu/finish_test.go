package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	dir := t.TempDir()
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

	defer func(q time.Duration) { finishQuiet = q }(finishQuiet)
	finishQuiet = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr logbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", dir}, &bytes.Buffer{}, &stderr)
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(stderr.String(), "finished a recording"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("no recording finished in 20 s:\n%s", stderr.String())
		}
	}
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
