package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestServiceRestartsCrashes: the unit does not keep mcu down after a
// crash (Go exits 2 on a panic or a fatal error such as concurrent map
// writes or running out of memory), yet does not retry a configuration
// mistake: serve's status for one is the unit's RestartPreventExitStatus.
func TestServiceRestartsCrashes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "mcu.service"))
	if err != nil {
		t.Fatal(err)
	}
	prevent := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^RestartPreventExitStatus=(.*)$`).FindAllSubmatch(data, -1) {
		for _, f := range strings.Fields(string(m[1])) {
			n, _ := strconv.Atoi(f)
			prevent[n] = true
		}
	}
	if prevent[2] {
		t.Error("RestartPreventExitStatus holds 2, Go's exit status for a panic: a crashed server stays down")
	}
	t.Setenv("MCU_AUTH_TOKEN", "")
	code, _, stderr := mcu(t, "serve", "-fps", "many")
	if !prevent[code] {
		t.Errorf("a configuration mistake exits %d (%q), which the unit restarts every 2 s", code, stderr)
	}
}

// TestFatalErrorUnderJournal: under the journal, the line saying why the
// server did not start carries an error's priority, as the log's lines do.
func TestFatalErrorUnderJournal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", strconv.FormatUint(st.Dev, 10)+":"+strconv.FormatUint(st.Ino, 10))
	run(context.Background(), []string{"serve", "-fps", "many"}, new(strings.Builder), f)
	out, _ := os.ReadFile(f.Name())
	if !strings.HasPrefix(string(out), "<3>") {
		t.Errorf("under the journal the fatal line is %q: journald files it as info, journalctl -p err shows nothing", out)
	}
}

// TestNewLoggerUnderJournal: the stream JOURNAL_STREAM names gets the
// priorities; another file (stderr redirected by hand) does not.
func TestNewLoggerUnderJournal(t *testing.T) {
	dir := t.TempDir()
	journal, err := os.Create(filepath.Join(dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer journal.Close()
	other, err := os.Create(filepath.Join(dir, "other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(journal.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNAL_STREAM", strconv.FormatUint(st.Dev, 10)+":"+strconv.FormatUint(st.Ino, 10))
	t.Setenv("MCU_LOG_FORMAT", "")
	newLogger(journal, slog.LevelInfo, false).Warn("short of CPU")
	newLogger(other, slog.LevelInfo, false).Warn("short of CPU")
	if out, _ := os.ReadFile(journal.Name()); !strings.HasPrefix(string(out), "<4>time=") {
		t.Errorf("under the journal: %q, want a warning's <4> first", out)
	}
	if out, _ := os.ReadFile(other.Name()); !strings.HasPrefix(string(out), "time=") {
		t.Errorf("another file: %q, want no priority", out)
	}
}

// TestCertbotHookCopiesMcusCertificate: certbot runs every deploy hook for
// each certificate it renews; the hook copies mcu's alone (the one named
// in /etc/mcu/cert-name), not another site's renewed after it.
func TestCertbotHookCopiesMcusCertificate(t *testing.T) {
	hook, err := os.ReadFile(filepath.Join("..", "..", "deploy", "certbot-deploy-hook"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, l := range []string{"mcu.example.com", "blog.example.com"} {
		dir := filepath.Join(root, "etc/letsencrypt/live", l)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"fullchain.pem", "privkey.pem"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(f+" of "+l), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/mcu"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/mcu/cert-name"), []byte("mcu.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The hook's paths under root, and its owner this user's (no mcu
	// user here).
	script := strings.ReplaceAll(string(hook), "/etc/", root+"/etc/")
	script = strings.ReplaceAll(script, "-o root -g mcu", "-o "+strconv.Itoa(os.Getuid())+" -g "+strconv.Itoa(os.Getgid()))
	path := filepath.Join(root, "hook")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"mcu.example.com", "blog.example.com"} { // certbot's order
		cmd := exec.Command(path)
		cmd.Env = append(os.Environ(), "RENEWED_LINEAGE="+filepath.Join(root, "etc/letsencrypt/live", l))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the hook for %s: %v %s", l, err, out)
		}
	}
	for _, f := range []string{"fullchain.pem", "privkey.pem"} {
		got, err := os.ReadFile(filepath.Join(root, "etc/mcu", f))
		if want := f + " of mcu.example.com"; err != nil || string(got) != want {
			t.Errorf("/etc/mcu/%s holds %q (%v), want %q", f, got, err, want)
		}
	}
}
