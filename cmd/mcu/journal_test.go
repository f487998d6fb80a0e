package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLoggerJournalPriority: under the journal each line starts with its
// syslog priority, so that journalctl -p err finds the errors; with
// MCU_LOG_FORMAT=json a line is one JSON object.
func TestLoggerJournalPriority(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}, false, true)).With("room", "r1")
	log.Debug("hidden")
	log.Info("joined", "session", "s1")
	log.Warn("short of CPU")
	log.Error("finalize recording", "err", "disk full")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"<6>", "<4>", "<3>"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]+"time=") || !strings.Contains(l, "room=r1") {
			t.Errorf("line %d = %q, want it to start with %s and carry room=r1", i, l, want[i])
		}
	}
	buf.Reset()
	slog.New(logHandler(&buf, &slog.HandlerOptions{}, true, false)).Info("joined", "room", "r1")
	if !strings.HasPrefix(buf.String(), `{"time":`) || !strings.Contains(buf.String(), `"room":"r1"`) {
		t.Errorf("JSON line = %q", buf.String())
	}
}
