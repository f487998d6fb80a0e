package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"mcu/internal/mediatest"
)

// TestLoadReadsParticipantsAsMixDoes: mcu load takes its PARTICIPANT
// arguments as mcu mix does: a file whose name holds a "+" is one side of
// a pair, a pipe (which a looping sender could not read twice) and a file
// that is not media are refused before anything is sent.
func TestLoadReadsParticipantsAsMixDoes(t *testing.T) {
	dir := t.TempDir()
	plus := filepath.Join(dir, "a+b.ivf")
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plus, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.ogg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ogg := mediatest.TestdataPath(t, "p01.ogg")
	// Nothing listens at this address: a load that gets past its arguments
	// fails to join, which is not a usage error.
	base := []string{"-url", "http://127.0.0.1:1", "-n", "1", "-duration", "1s", "-cost", "0"}
	for _, tc := range []struct {
		arg   string
		usage string // the usage error wanted, or "" for none
	}{
		{plus + "+" + ogg, ""},
		{fifo, "not a regular file"},
		{plus + "+" + fifo, "not a regular file"},
		{mediatest.TestdataPath(t, "notmedia.txt"), "not a media file"},
	} {
		err := loadCommand(context.Background(), append(base, tc.arg), io.Discard, io.Discard)
		var ue usageError
		isUsage := errors.As(err, &ue)
		switch {
		case tc.usage == "" && isUsage:
			t.Errorf("%s: %v, want it read", tc.arg, err)
		case tc.usage != "" && (!isUsage || !strings.Contains(err.Error(), tc.usage)):
			t.Errorf("%s: %v, want a usage error saying %q", tc.arg, err, tc.usage)
		}
	}
}
