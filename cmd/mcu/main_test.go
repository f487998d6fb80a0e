package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain lets tests run this test binary as the mcu command itself
// (MCU_TEST_MAIN=1), to signal a real process.
func TestMain(m *testing.M) {
	switch os.Getenv("MCU_TEST_MAIN") {
	case "1":
		main()
		return
	case "signals":
		signalsChild()
		return
	}
	os.Exit(m.Run())
}

// mcu runs the command in-process and returns its exit status and output.
func mcu(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// signalsChild is the process TestSecondSignalEnds signals: it reports the
// first SIGTERM as stopContext's cancellation, then waits for the second.
func signalsChild() {
	ctx, stop := stopContext()
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	<-ctx.Done()
	fmt.Println("stopping")
	// What a slow shutdown would be doing when the second signal comes;
	// the parent sends it once it reads the line above.
	time.Sleep(20 * time.Second)
	fmt.Println("survived")
	os.Exit(0)
}

// The first SIGTERM cancels the command's context (a clean stop); a second
// one, during a long shutdown, ends the process.
func TestSecondSignalEnds(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "MCU_TEST_MAIN=signals")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "stopping\n" {
		cmd.Process.Kill()
		t.Fatalf("first line %q, %v: want the clean stop begun", line, err)
	}
	// stopContext restores the default action just after cancelling; the
	// signal is sent until it takes effect (one is enough but for that).
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
				t.Fatalf("the process ended with %v, want killed by the second SIGTERM", err)
			}
			return
		case <-tick.C:
		}
	}
}
