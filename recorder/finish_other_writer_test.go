//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestFinishLeavesAnotherProcessWriting: `mcu finish` given a recording
// another process is writing (a server sharing the folder, or this
// server's own while an operator runs the command) leaves it alone: the
// writer's lock on the file tells, and nothing else does across
// processes. Finished in place, the rest of the recording, and its
// trailer, would go to the unlinked file.
func TestFinishLeavesAnotherProcessWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r-20260101T000001Z.webm")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MCU_RECORDER_CHILD="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCluster] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other process never wrote a cluster in 20 s: %s", stderr.String())
		}
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := FinishFile(context.Background(), path)
	if ok || err != nil {
		t.Errorf("FinishFile of a file another process writes: %v, %v; want it left alone", ok, err)
	}
	after, err := os.Stat(path)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the file being written was replaced (%v): what comes next is lost", err)
	}
	if un, err := Unfinished(path); err != nil || !un {
		t.Errorf("the file being written: unfinished %v, %v; want it as its writer left it", un, err)
	}
}
