package main

import (
	"context"
	"encoding/json"
	"mcu/client"
	"mcu/internal/mediatest"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHTTPErrorLogStructuredAndLimited: every plain-HTTP request to the
// HTTPS port makes net/http log a line; those must go through the
// structured log, rate-limited, not one raw line per connection.
func TestHTTPErrorLogStructuredAndLimited(t *testing.T) {
	c, k := selfSigned(t, "localhost")
	cert, key := writePair(t, t.TempDir(), c, k)
	_, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-tls-cert", cert, "-tls-key", key})
	plain := "http://" + strings.TrimPrefix(url, "https://")
	for range 100 {
		if resp, err := http.Get(plain + "/healthz"); err == nil {
			resp.Body.Close()
		}
	}
	time.Sleep(200 * time.Millisecond)
	var raw, lines int
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "TLS handshake error") {
			lines++
			if !strings.HasPrefix(l, "time=") {
				raw++
			}
		}
	}
	if raw > 0 || lines > 12 {
		t.Errorf("100 plain-HTTP requests to the HTTPS port: %d log lines about them, %d not structured; want at most ~10, all structured\n%.600s", lines, raw, stderr.String())
	}
}

// TestNoPriorityIsSaid: a server that may not raise its threads' priority
// (no CAP_SYS_NICE) says so, once.
func TestNoPriorityIsSaid(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to drop CAP_SYS_NICE")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("no setpriv")
	}
	dir := t.TempDir()
	// Root without CAP_SYS_NICE (and RLIMIT_NICE 0), as in a container.
	cmd := exec.Command("setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice",
		os.Args[0], "-listen", "127.0.0.1:0", "-record-dir", dir)
	cmd.Env = append(os.Environ(), "MCU_TEST_MAIN=1")
	var out strings.Builder
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if n := strings.Count(out.String(), "CAP_SYS_NICE"); n != 1 {
		t.Errorf("without CAP_SYS_NICE: %d lines say so, want 1\n%s", n, out.String())
	}
}

// TestShutdownTimeoutNamesTheRecording: when -shutdown-timeout runs out,
// the log names the room and the recording that may lack its index.
func TestShutdownTimeoutNamesTheRecording(t *testing.T) {
	cmd, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-shutdown-timeout", "1ns"}, "MCU_RECORD_DIR="+t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: url, Room: "late",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := http.Post(url+"/api/rooms/late/recording", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Path string }
	json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if !regexp.MustCompile(`room not closed within the shutdown timeout.*room=late recording_not_finalized=` + regexp.QuoteMeta(rec.Path)).MatchString(stderr.String()) {
		t.Errorf("the log does not name the room and %s:\n%s", rec.Path, stderr.String())
	}
}
