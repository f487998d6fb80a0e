package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"mcu/internal/mediatest"
	"mcu/loadtest"
)

// TestServeRefusesAtStart: a value serve cannot run with is refused at
// start as a configuration mistake (exit 78, which the service unit does
// not retry), whether its flag's own check or the rooms' configuration
// finds it: one under or over what the README's table allows, a token with
// a character no header carries, a word after the flags. Each value just
// inside the bounds starts the server.
func TestServeRefusesAtStart(t *testing.T) {
	t.Setenv("MCU_AUTH_TOKEN", "")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"-max-participants", "0"}, exitConfig}, {[]string{"-max-participants", "101"}, exitConfig},
		{[]string{"-max-participants", "100"}, 0}, {[]string{"-max-participants", "1"}, 0},
		{[]string{"-max-rooms", "0"}, exitConfig}, {[]string{"-max-viewers", "-1"}, exitConfig}, {[]string{"-max-viewers", "0"}, 0},
		{[]string{"-min-bitrate", "40k"}, exitConfig}, {[]string{"-min-bitrate", "2M"}, exitConfig}, {[]string{"-min-bitrate", "50k"}, 0},
		{[]string{"-fps", "0"}, exitConfig}, {[]string{"-speed", "4"}, exitConfig},
		{[]string{"-max-conns-per-client", "-1"}, exitConfig}, {[]string{"-max-conns-per-client", "0"}, 0},
		{[]string{"-peer-timeout", "10m1s"}, exitConfig},
		{[]string{"-udp-port", "65536"}, exitConfig}, {[]string{"-udp-port", "-1"}, exitConfig},
		{[]string{"-auth-token", "0123456789abcdef\x7f"}, exitConfig},
		{[]string{"-auth-token", "0123456789abcdef\u00e9"}, exitConfig},
		{[]string{"extra"}, exitConfig},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a value taken starts a server that stops at once
		var stdout, stderr bytes.Buffer
		// The flags the test needs first: a word after them ends the
		// flags, and those after it would not be read.
		args := append([]string{"serve", "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, c.args...)
		if code := run(ctx, args, &stdout, &stderr); code != c.code {
			t.Errorf("%q: exit %d, want %d (%s)", c.args, code, c.code, strings.TrimSpace(stderr.String()))
		}
	}
	// The other commands refuse a word after their flags too (2).
	t.Setenv("MCU_AUTH_TOKEN", "the-servers-secret-0123456789abcdef")
	for _, args := range [][]string{{"token", "-room", "a", "extra"}, {"view", "-url", "http://127.0.0.1:1", "-duration", "1s", "extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, printed %q; want 2 and nothing", args, code, stdout.String())
		}
	}
	// mcu mix's -keyint: above 0 and at most an hour.
	for _, k := range []string{"0s", "1h0m1s"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"mix", "-keyint", k, "-o", t.TempDir() + "/out.webm", "a.ivf"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "-keyint") {
			t.Errorf("mix -keyint %s: exit %d, %q; want 2 naming -keyint", k, code, stderr.String())
		}
	}
}

// TestLoggerVerboseAndJSON: -v logs one level more (serve's debug
// details), and MCU_LOG_FORMAT=json writes one JSON object a line (README:
// "for a log shipper"); anything else is text.
func TestLoggerVerboseAndJSON(t *testing.T) {
	t.Setenv("JOURNAL_STREAM", "")
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		log := newLogger(&b, slog.LevelInfo, verbose)
		log.Debug("a detail")
		log.Info("a fact")
		if got := strings.Contains(b.String(), "a detail"); got != verbose {
			t.Errorf("verbose %v: the debug line logged %v:\n%s", verbose, got, b.String())
		}
		if !strings.Contains(b.String(), "a fact") {
			t.Errorf("verbose %v: the info line not logged:\n%s", verbose, b.String())
		}
	}
	t.Setenv("MCU_LOG_FORMAT", "json")
	var b bytes.Buffer
	newLogger(&b, slog.LevelInfo, false).Info("a fact", "room", "r")
	var rec map[string]any
	if err := json.Unmarshal(b.Bytes(), &rec); err != nil || rec["msg"] != "a fact" || rec["room"] != "r" {
		t.Errorf("MCU_LOG_FORMAT=json: %q is not the record as JSON (%v)", b.String(), err)
	}
	t.Setenv("MCU_LOG_FORMAT", "text")
	b.Reset()
	newLogger(&b, slog.LevelInfo, false).Info("a fact")
	if !strings.HasPrefix(b.String(), "time=") {
		t.Errorf("MCU_LOG_FORMAT=text: %q, want text", b.String())
	}
}

// TestLoadRefusesAtStart: mcu load's settings that no load can run with
// are a mistake on the command line (2), found before anything is sent.
func TestLoadRefusesAtStart(t *testing.T) {
	saved := runLoad
	t.Cleanup(func() { runLoad = saved })
	runLoad = func(context.Context, loadtest.Config, io.Writer) (*loadtest.Result, error) {
		return nil, errors.New("run")
	}
	clip := mediatest.TestdataPath(t, "p01.ivf")
	for _, args := range [][]string{
		{"-url", "ftp://127.0.0.1:1"}, {"-n", "0"}, {"-duration", "0s"}, {"-h264", "5"}, {"-capped", "1", "-link", "10k"},
	} {
		var stdout, stderr bytes.Buffer
		full := append(append([]string{"load", "-url", "http://127.0.0.1:1", "-nice", "0"}, args...), clip)
		if code := run(context.Background(), full, &stdout, &stderr); code != 2 {
			t.Errorf("load %q: exit %d (%s), want 2", args, code, strings.TrimSpace(stderr.String()))
		}
	}
}

// TestHelpOnStdout: mcu help prints the usage on stdout (mcu help | less),
// exit 0; an unknown command prints it on stderr, exit 2.
func TestHelpOnStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"help"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "usage:") || stderr.Len() != 0 {
		t.Errorf("mcu help: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"nosuchcommand"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage:") {
		t.Errorf("mcu nosuchcommand: exit %d, stdout %q; want 2 and the usage on stderr", code, stdout.String())
	}
}

// TestParseBitrateSuffixes: bitrates in bit/s, k for thousands and M for
// millions, in either case ("-bitrate 2M" is 2 Mbit/s, not 2 kbit/s);
// 0 or less is no bitrate, nor is anything past 2^31-1 bit/s.
func TestParseBitrateSuffixes(t *testing.T) {
	for in, want := range map[string]int{"1500000": 1_500_000, "1500k": 1_500_000, "1500K": 1_500_000, "1.5M": 1_500_000, "2m": 2_000_000, "64k": 64_000} {
		if got, err := parseBitrate(in); err != nil || got != want {
			t.Errorf("parseBitrate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "0k", "-1M", "800kbit", "3G", "3000M", ""} {
		if got, err := parseBitrate(in); err == nil {
			t.Errorf("parseBitrate(%q) = %d; want an error", in, got)
		}
	}
}
