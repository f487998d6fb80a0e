package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestMain lets tests run this test binary as the mcu command itself
// (MCU_TEST_MAIN=1), to signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("MCU_TEST_MAIN") == "1" {
		main()
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
