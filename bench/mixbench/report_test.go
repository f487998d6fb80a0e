package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestPrintTableRealTimeFactor guards the table's "× real time": seconds of
// media over mcu's wall time, not its CPU time.
func TestPrintTableRealTimeFactor(t *testing.T) {
	r := row{N: 4, MCU: usage{Wall: 2 * time.Second, CPU: 4 * time.Second}}
	out := captureStdout(t, func() { printTable([]row{r}, 10, 3) })
	if want := "| 4 | 2.00 s (5.00x) | 4.00 s |"; !strings.Contains(out, want) {
		t.Errorf("the table has no %q:\n%s", want, out)
	}
}

// captureStdout returns what f prints to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved := os.Stdout
	os.Stdout = tmp
	defer func() { os.Stdout = saved }()
	f()
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
