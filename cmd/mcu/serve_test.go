package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
)

// TestServeSignal runs `mcu` (serve is the default) as a process configured
// by environment variables, joins two participants, starts a recording,
// and sends SIGTERM while a client stalls mid-request: the process stops
// taking joins, finalizes the recording without waiting for that client,
// closes the peers and exits 0. MCU_MAX_PARTICIPANTS=1 shows the
// environment is read (the second join gets 429), and so does
// MCU_MIN_BITRATE (in the room's JSON).
func TestServeSignal(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "MCU_TEST_MAIN=1", "MCU_RECORD_DIR="+dir, "MCU_MAX_PARTICIPANTS=1", "MCU_FPS=25", "MCU_MIN_BITRATE=700k")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v %s", err, stderr.String())
	}
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: url, Room: "sig",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = client.Connect(ctx, client.Options{Server: url, Room: "sig", Audio: mediatest.TestdataPath(t, "p02.ogg")})
	var se *client.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusTooManyRequests {
		t.Errorf("second join with MCU_MAX_PARTICIPANTS=1: %v, want 429", err)
	}
	resp, err := http.Get(url + "/api/rooms/sig")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Mixer struct {
			Bitrate    int `json:"bitrate"`
			MinBitrate int `json:"min_bitrate"`
		} `json:"mixer"`
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("room's JSON: status %d, %v", resp.StatusCode, err)
	}
	if info.Mixer.MinBitrate != 700_000 || info.Mixer.Bitrate != 1_500_000 {
		t.Errorf("room's mixer: bitrate %d, min_bitrate %d; want 1500000 and 700000 (MCU_MIN_BITRATE=700k)", info.Mixer.Bitrate, info.Mixer.MinBitrate)
	}
	resp, err = http.Post(url+"/api/rooms/sig/recording", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Path string }
	json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(rec.Path, dir) {
		t.Fatalf("start recording: %d %q", resp.StatusCode, rec.Path)
	}
	waitClusters(t, rec.Path, 1)
	time.Sleep(time.Second) // more than the cluster on disk, to be finalized
	// A client that stalls in the middle of its request body: shutting
	// down must not wait for it to finalize the recording.
	stalled, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	fmt.Fprintf(stalled, "POST /rooms/sig/join HTTP/1.1\r\nHost: mcu\r\nContent-Type: application/sdp\r\nContent-Length: 5000\r\n\r\nv=0\r\n")
	time.Sleep(100 * time.Millisecond) // the handler is reading the body
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if data, err := os.ReadFile(rec.Path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCues] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the recording was not finalized within 5 s of SIGTERM while a request was stalled\n%s", stderr.String())
		}
	}
	stalled.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mcu after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("mcu did not stop within 20 s of SIGTERM\n%s", stderr.String())
	}
	data, err := os.ReadFile(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
		t.Error("the recording was not finalized (no cues)")
	}
	p, err := mediatest.ProbeFile(ctx, rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Video(); !ok || v.FrameRate != 25 || p.Duration < time.Second {
		t.Errorf("recording: %+v, want 25 fps (MCU_FPS) and at least a second (a cluster, then a second more)", p)
	}
	if !strings.Contains(stderr.String(), "recording stopped") || filepath.Dir(filepath.Dir(rec.Path)) != dir {
		t.Errorf("log:\n%s", stderr.String())
	}
}

// TestMediaPortOnEveryAddress: the single media port listens on every
// address, whatever host -listen names for HTTP.
func TestMediaPortOnEveryAddress(t *testing.T) {
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	conn, err := listenMedia(port, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ip := conn.LocalAddr().(*net.UDPAddr).IP; !ip.IsUnspecified() {
		t.Errorf("media port bound to %v, want every address", ip)
	}
}

// TestMediaPortBuffers: the single media port's buffers are grown to
// mediaBuffer, past the sysctls' caps where the process may (CAP_NET_ADMIN)
// and up to them where not, and a buffer short of it is logged.
func TestMediaPortBuffers(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("buffer sizes are read back on Linux only")
	}
	var logged bytes.Buffer
	conn, err := listenMedia(0, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	want := map[string]int{"rmem_max": mediaBuffer, "wmem_max": mediaBuffer}
	if !netAdmin(t) {
		for k := range want {
			b, err := os.ReadFile("/proc/sys/net/core/" + k)
			if err != nil {
				t.Fatal(err)
			}
			limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			want[k] = min(mediaBuffer, limit)
		}
	}
	read, write, err := growBuffers(conn, mediaBuffer) // what listenMedia asked for, again
	if err != nil {
		t.Fatal(err)
	}
	if read != want["rmem_max"] || write != want["wmem_max"] {
		t.Errorf("buffers of %d and %d bytes, want %d and %d", read, write, want["rmem_max"], want["wmem_max"])
	}
	short := read < mediaBuffer || write < mediaBuffer
	if warned := strings.Contains(logged.String(), "net.core.rmem_max"); warned != short {
		t.Errorf("buffers %d and %d of %d wanted; log: %q", read, write, mediaBuffer, logged.String())
	}
}

// netAdmin reports whether the process has CAP_NET_ADMIN, which lets it
// take socket buffers beyond the sysctls' caps.
func netAdmin(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			const capNetAdmin = 12
			return caps&(1<<capNetAdmin) != 0
		}
	}
	t.Fatal("no CapEff in /proc/self/status")
	return false
}

// TestListFlagsFromEnvironment: the environment's list is kept when the
// command line gives none and replaced when it gives some, and the usage
// never shows it (a TURN URL holds a password).
func TestListFlagsFromEnvironment(t *testing.T) {
	parse := func(env string, args ...string) []string {
		t.Helper()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		var l listFlag
		fs.Var(&l, "x", "a list")
		l.setEnv(env)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return l.vals
	}
	for _, c := range []struct {
		env  string
		args []string
		want []string
	}{
		{"a, b", nil, []string{"a", "b"}},
		// On the command line a value is taken whole (a TURN password
		// may hold a comma).
		{"a,b", []string{"-x", "c", "-x", "d,e"}, []string{"c", "d,e"}},
		{"", []string{"-x", "c"}, []string{"c"}},
		{"", nil, nil},
	} {
		if got := parse(c.env, c.args...); !slices.Equal(got, c.want) {
			t.Errorf("environment %q, arguments %q: %q, want %q", c.env, c.args, got, c.want)
		}
	}

	t.Setenv("MCU_ICE_SERVERS", "turn:ada:topsecret@turn.example.com:3478")
	var usage bytes.Buffer
	if err := serveCommand(context.Background(), []string{"-h"}, io.Discard, &usage); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(usage.String(), "-ice-server") {
		t.Fatalf("usage without -ice-server:\n%s", usage.String())
	}
	if strings.Contains(usage.String(), "topsecret") {
		t.Errorf("the usage shows the TURN password from MCU_ICE_SERVERS:\n%s", usage.String())
	}
}

// TestNetworkFlagsRefusedAtStart: an ICE server or NAT address pion would
// refuse at every join is a usage error before the server starts, and the
// message does not show a TURN password.
func TestNetworkFlagsRefusedAtStart(t *testing.T) {
	for _, args := range [][]string{
		{"-ice-server", "turn:turn.example.com:3478"},
		{"-ice-server", "stun:stun.example.com?transport=udp"},
		{"-ice-server", "turn:ada:topsecret@"},
		{"-ice-server", "https://ada:topsecret@example.com"},
		{"-nat1to1-ip", "auto"},
		{"-nat1to1-ip", "myhost.example.com"},
		{"-nat1to1-ip", "203.0.113.7/not-an-ip"},
		// Two servers in one value: the second's would be read as the
		// first's password.
		{"-ice-server", "turn:ada:topsecret@h1.example.com:3478,turn:ada:topsecret@h2.example.com:3478"},
	} {
		// Cancelled: a value that is no longer refused starts the server,
		// which then stops at once rather than hang the test.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stderr bytes.Buffer
		err := serveCommand(ctx, append(args, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()), io.Discard, &stderr)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		if err != nil && strings.Contains(err.Error()+stderr.String(), "topsecret") {
			t.Errorf("%q: the error shows the password: %v", args, err)
		}
	}
}

func TestBrowserAddr(t *testing.T) {
	for addr, want := range map[string]string{"0.0.0.0:8080": "127.0.0.1:8080", "[::]:8080": "127.0.0.1:8080",
		"127.0.0.1:8080": "127.0.0.1:8080", "192.0.2.1:80": "192.0.2.1:80"} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := browserAddr(a); got != want {
			t.Errorf("listening on %s: open %s, want %s", addr, got, want)
		}
	}
}

// TestShutdownTimeoutRefusesNonsense: a timeout that is not a duration
// above 0 is a mistake on the command line, named, before anything starts.
func TestShutdownTimeoutRefusesNonsense(t *testing.T) {
	for _, v := range []string{"0", "-5s", "soon"} {
		err := serveCommand(context.Background(), []string{"-shutdown-timeout", v}, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-shutdown-timeout") {
			t.Errorf("-shutdown-timeout %s: %v, want a usage error naming the flag", v, err)
		}
	}
}

// TestRecordDirCheckedAtStart: a recordings folder that cannot be made is
// an error at start, naming the flag; a relative one is made, and the log
// names it by its absolute path.
func TestRecordDirCheckedAtStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Cancelled: a server that starts stops at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", filepath.Join(file, "rec")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-record-dir") {
		t.Fatalf("a record dir under a file: %v, want an error naming -record-dir", err)
	}

	dir := t.TempDir()
	t.Chdir(dir)
	var stderr bytes.Buffer
	if err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", "rec"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "rec")
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		t.Fatalf("the record dir was not made: %v", err)
	}
	if left, _ := os.ReadDir(abs); len(left) != 0 {
		t.Errorf("the check left %d files in the record dir", len(left))
	}
	if !strings.Contains(stderr.String(), "record_dir="+abs) {
		t.Errorf("the log does not name %s:\n%s", abs, stderr.String())
	}
}

// TestHeadersBounded: the server answers a request whose headers are over
// maxHeaderBytes with 431, not by reading a megabyte of them.
func TestHeadersBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	go srv.Serve(ln)
	defer srv.Close()
	for _, c := range []struct {
		size int
		want int
	}{{8 << 10, http.StatusOK}, {maxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Filler", strings.Repeat("a", c.size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("a %d-byte header: %d, want %d", c.size, res.StatusCode, c.want)
		}
	}
}

// TestDebugAddrOnTheNetworkWarns: pprof on an address other than loopback
// is served, with a warning in the log.
func TestDebugAddrOnTheNetworkWarns(t *testing.T) {
	for addr, warn := range map[string]bool{"127.0.0.1:0": false, "0.0.0.0:0": true} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the server starts and stops at once
		var stderr bytes.Buffer
		if err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-debug-addr", addr}, io.Discard, &stderr); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(stderr.String(), "level=WARN msg=\"pprof is open"); got != warn {
			t.Errorf("-debug-addr %s: warned %v, want %v:\n%s", addr, got, warn, stderr.String())
		}
	}
}

// TestAuthToken: -auth-token (or MCU_AUTH_TOKEN) makes the server ask for
// it on the API; one too short or with a space is a usage error; the
// usage text never shows the environment's.
func TestAuthToken(t *testing.T) {
	for _, bad := range []string{"short", "sixteen chars ok", "with\ttab-and-more-chars"} {
		// Cancelled: a token no longer refused starts a server that stops
		// at once, rather than hang the test.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := serveCommand(ctx, []string{"-auth-token", bad, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-auth-token") {
			t.Errorf("-auth-token %q: %v, want a usage error naming the flag", bad, err)
		}
	}
	const token = "a-token-of-the-environment"
	t.Setenv("MCU_AUTH_TOKEN", token)
	var usage bytes.Buffer
	if err := serveCommand(context.Background(), []string{"-h"}, io.Discard, &usage); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(usage.String(), "-auth-token") || strings.Contains(usage.String(), token) {
		t.Errorf("usage: the flag missing, or the token shown:\n%s", usage.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v", err)
	}
	go io.Copy(io.Discard, out)
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	for auth, want := range map[string]int{"": http.StatusUnauthorized, "Bearer " + token: http.StatusOK} {
		req, _ := http.NewRequest("GET", url+"/api/rooms", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET /api/rooms with %q: %d, want %d", auth, res.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
