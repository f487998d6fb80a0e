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
	"math"
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
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
)

// startServer runs `mcu` (serve) as a process of its own with args and
// the environment's variables env, and returns it, its address (once it
// printed it) and its log. It is killed at the test's end.
func startServer(t *testing.T, args []string, env ...string) (*exec.Cmd, string, *logbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "MCU_TEST_MAIN=1"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(logbuf.Buffer) // read while the process writes it
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v %s", err, stderr.String())
	}
	url := regexp.MustCompile(`https?://[0-9.:]+`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	return cmd, url, stderr
}

// TestServeSignal runs `mcu` (serve is the default) as a process configured
// by environment variables, joins two participants, starts a recording,
// and sends SIGTERM while a client stalls mid-request: the process stops
// taking joins, finalizes the recording without waiting for that client,
// closes the peers and exits 0. MCU_MAX_PARTICIPANTS=1 shows the
// environment is read (the second join gets 429), and so does
// MCU_MIN_BITRATE (in the room's JSON).
func TestServeSignal(t *testing.T) {
	dir := t.TempDir()
	cmd, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0"},
		"MCU_RECORD_DIR="+dir, "MCU_MAX_PARTICIPANTS=1", "MCU_FPS=25", "MCU_MIN_BITRATE=700k")
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
	port := freeUDPPort(t)
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
	want := map[string]int{"rmem_max": mediaBuffer, "wmem_max": mediaBuffer}
	if !mayForceBuffers(t) {
		for k := range want {
			b, err := os.ReadFile("/proc/sys/net/core/" + k)
			if err != nil {
				t.Skipf("the cap on socket buffers is not known here: %v", err)
			}
			limit, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			want[k] = min(mediaBuffer, limit)
		}
	}
	var logged bytes.Buffer
	conn, err := listenMedia(0, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	read, write, err := bufferSizes(conn)
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

// mayForceBuffers reports whether this process may take socket buffers
// beyond the sysctls' caps: it tries, on a socket of its own (the
// capability a container's root holds may not be the host's).
func mayForceBuffers(t *testing.T) bool {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, 1<<20)
	}); err != nil {
		t.Fatal(err)
	}
	return serr == nil
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

// TestUDPPortRefusedBeforeAnythingStarts: a -udp-port that is no port is a
// usage error found with the other flags' mistakes, before the recordings'
// folder is made or a certificate read.
func TestUDPPortRefusedBeforeAnythingStarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	err := serveCommand(context.Background(), []string{"-udp-port", "70000", "-listen", "127.0.0.1:0", "-record-dir", dir}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-udp-port") {
		t.Errorf("-udp-port 70000: %v, want a usage error naming the flag", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("-udp-port 70000 refused, but %s was made first", dir)
	}
	// A certificate that cannot be read is not what is reported first.
	err = serveCommand(context.Background(), []string{"-udp-port", "x", "-listen", "127.0.0.1:0", "-record-dir", dir,
		"-tls-cert", "/nonexistent/cert.pem", "-tls-key", "/nonexistent/key.pem"}, io.Discard, io.Discard)
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-udp-port") {
		t.Errorf("-udp-port x with an unreadable certificate: %v, want the -udp-port usage error", err)
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

// TestOverloadAndVoicesFlags: a hold that is not a duration or below 0,
// a count of voices that is not a number or below 0, and a strain speed
// outside libvpx's fixed speeds, are usage errors naming their flag; 0 and
// values above (for the speed: -16 to -1, a speed slower than -speed
// keeping it fixed) start the server.
func TestOverloadAndVoicesFlags(t *testing.T) {
	for _, c := range []struct {
		flag, v string
		ok      bool
	}{
		{"-overload-hold", "-5s", false}, {"-overload-hold", "soon", false}, {"-overload-hold", "10", false},
		{"-overload-hold", "0", true}, {"-overload-hold", "3s", true},
		{"-voices", "-1", false}, {"-voices", "all", false}, {"-voices", "0", true}, {"-voices", "3", true},
		{"-peer-timeout", "9s", false}, {"-peer-timeout", "15", false}, {"-peer-timeout", "10s", true}, {"-peer-timeout", "1m", true}, {"-peer-timeout", "10m", true}, {"-peer-timeout", "2000000h", false},
		{"-strain-speed", "5", false}, {"-strain-speed", "-17", false}, {"-strain-speed", "fast", false},
		{"-strain-speed", "0", true}, {"-strain-speed", "-16", true}, {"-strain-speed", "-3", true},
		{"-record-min-free", "-1", false}, {"-record-min-free", "lots", false}, {"-record-min-free", "1.5G", false},
		{"-record-min-free", "99999999T", false}, {"-record-min-free", "0", true}, {"-record-min-free", "512M", true},
	} {
		// Cancelled: a value taken starts the server, which stops at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := serveCommand(ctx, []string{c.flag, c.v, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
		var ue usageError
		if refused := errors.As(err, &ue) && strings.Contains(err.Error(), c.flag); refused == c.ok {
			t.Errorf("%s %s: %v, want it taken %v", c.flag, c.v, err, c.ok)
		}
	}
}

// TestMistakesSayWhatIsWanted: a value that is not a number, or not one
// of the choices, is refused naming its flag and what it takes, in words
// rather than Go's parser's ("strconv.Atoi: parsing ...").
func TestMistakesSayWhatIsWanted(t *testing.T) {
	for _, c := range []struct{ flag, v, want string }{
		{"-fps", "29.97", "whole number"}, {"-speed", "fast", "whole number"},
		{"-max-participants", "many", "whole number"}, {"-max-viewers", "x", "whole number"},
		{"-max-rooms", "1e3", "whole number"}, {"-layout", "mosaic", "grid or speaker"},
	} {
		err := serveCommand(context.Background(), []string{c.flag, c.v, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.flag) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "strconv") {
			t.Errorf("%s %s: %v, want a usage error naming the flag and saying %q", c.flag, c.v, err, c.want)
		}
	}
}

// TestParseBytes: sizes in bytes, with binary multiples.
func TestParseBytes(t *testing.T) {
	for in, want := range map[string]uint64{
		"0": 0, "268435456": 256 << 20, "256M": 256 << 20, "256m": 256 << 20, "256MiB": 256 << 20, "256MB": 256 << 20,
		"1G": 1 << 30, "2k": 2048, "3T": 3 << 40, "7B": 7, " 1G ": 1 << 30,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1", "1.5G", "1X", "G1", "16777216T", "1 G"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

// TestParseBytesAtItsLimits: the largest sizes that fit in 64 bits are
// taken, the first that does not is refused.
func TestParseBytesAtItsLimits(t *testing.T) {
	for in, want := range map[string]uint64{
		"18446744073709551615": math.MaxUint64, "16777215T": 16777215 << 40, "17179869183G": 17179869183 << 30,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"18446744073709551616", "17179869184G", "1KB B", "KiB", "B", "iB"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
}

// TestServeGOMAXPROCS: serve runs with 4 Ps per CPU the process may use
// (at least 8), counted afresh each time: serve after serve in one
// process (as here) does not multiply them (it did, up to Go's limit of
// 10,000 threads).
func TestServeGOMAXPROCS(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set: serve leaves it")
	}
	t.Cleanup(runtime.SetDefaultGOMAXPROCS)
	runtime.SetDefaultGOMAXPROCS()
	want := max(8, 4*runtime.GOMAXPROCS(0))
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // it starts, and stops at once
		if err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if got := runtime.GOMAXPROCS(0); got != want {
			t.Fatalf("after serve %d: GOMAXPROCS %d, want %d", i+1, got, want)
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
	} else if st.Mode().Perm()&0o007 != 0 {
		// README: folders are made 0750 (people's meetings).
		t.Errorf("the record dir was made %v: other users of the machine may look into it", st.Mode().Perm())
	}
	if left, _ := os.ReadDir(abs); len(left) != 0 {
		t.Errorf("the check left %d files in the record dir", len(left))
	}
	if !strings.Contains(stderr.String(), "record_dir="+abs) {
		t.Errorf("the log does not name %s:\n%s", abs, stderr.String())
	}
	if strings.Contains(stderr.String(), "less free space") {
		t.Errorf("a warning of a disk with room:\n%s", stderr.String())
	}
	// A disk with less free than recordings keep is said at start.
	stderr.Reset()
	if err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", "rec", "-record-min-free", "8388607T"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "less free space than -record-min-free") {
		t.Errorf("no warning of a disk under -record-min-free:\n%s", stderr.String())
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
	url := regexp.MustCompile(`https?://[0-9.:]+`).FindString(line)
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

// TestStalledClientsCutOff guards httpServer's read timeouts: a client that
// stops in the middle of its headers, or of its body, loses the connection
// instead of holding it (and a handler) for ever.
func TestStalledClientsCutOff(t *testing.T) {
	// httpServer's ReadHeaderTimeout and ReadTimeout are 10 s; the margin
	// is for a loaded machine.
	const within = 12 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bodyErr := make(chan error, 1)
	srv := httpServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
	}))
	go srv.Serve(ln)
	defer srv.Close()

	// Both stall at once, so the test takes one timeout, not two.
	stalls := map[string]string{
		"headers": "POST /rooms/r/join HTTP/1.1\r\nHost: mcu\r\nContent-Type: app",
		"body":    "POST /rooms/r/join HTTP/1.1\r\nHost: mcu\r\nContent-Type: application/sdp\r\nContent-Length: 5000\r\n\r\nv=0\r\n",
	}
	type cut struct {
		what  string
		after time.Duration
		err   error
	}
	cuts := make(chan cut, len(stalls))
	start := time.Now()
	for what, sent := range stalls {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, sent); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(start.Add(within))
		go func() {
			// Whatever the server answers, the connection must then end.
			_, err := io.Copy(io.Discard, conn)
			cuts <- cut{what, time.Since(start), err}
		}()
	}
	for range stalls {
		c := <-cuts
		if c.err != nil {
			t.Errorf("a client stalled in its %s: connection still open after %v (%v), want closed by the server within %v", c.what, c.after.Round(time.Millisecond), c.err, within)
		}
	}
	select {
	case err := <-bodyErr:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("the handler's read of a stalled body: %v, want a timeout", err)
		}
	default:
		t.Error("the handler is still reading the stalled body")
	}
}

// TestShutdownTimeoutExitsOne guards the exit status of a shutdown that
// runs past -shutdown-timeout: rooms not closed in time (a recording not
// finalized) make the process exit 1, not 0 as if all were saved.
func TestShutdownTimeoutExitsOne(t *testing.T) {
	// 1ns: the time is up before the first room starts to close.
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
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start recording: %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("mcu after SIGTERM with -shutdown-timeout 1ns: %v, want exit status 1\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "close rooms: context deadline exceeded") {
			t.Errorf("the log does not say the rooms' close ran out of time:\n%s", stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("mcu did not stop within 20 s of SIGTERM\n%s", stderr.String())
	}
}

// serveFlag is one flag as serve's usage shows it.
type serveFlag struct {
	env string // the variable in brackets, if any
	def string // the default shown, "" if none
}

var (
	usageFlagLine = regexp.MustCompile(`^  -([a-z0-9-]+)`)
	usageEnv      = regexp.MustCompile(`\[(MCU_[A-Z0-9_]+)`)
	usageDefault  = regexp.MustCompile(`\(default "([^"]*)"\)$`)
	// A bool flag's line is its name alone (a tab and its text after a
	// one-letter name); Go shows its default only when true.
	usageBool        = regexp.MustCompile(`^  -[a-z0-9-]+(\t|$)`)
	usageBoolDefault = regexp.MustCompile(`\(default (true)\)$`)
)

// serveFlags runs `mcu serve -h` and reads each flag's variable and
// default from the usage text, with the environment as it is.
func serveFlags(t *testing.T) (map[string]serveFlag, string) {
	t.Helper()
	var usage bytes.Buffer
	if err := serveCommand(context.Background(), []string{"-h"}, io.Discard, &usage); err != nil {
		t.Fatal(err)
	}
	flags := map[string]serveFlag{}
	name := ""
	for line := range strings.SplitSeq(usage.String(), "\n") {
		if m := usageFlagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			flags[name] = serveFlag{}
			if usageBool.MatchString(line) {
				flags[name] = serveFlag{def: "false"}
			}
		}
		if name == "" {
			continue
		}
		f := flags[name]
		if m := usageEnv.FindStringSubmatch(line); m != nil {
			f.env = m[1]
		}
		if m := usageDefault.FindStringSubmatch(line); m != nil {
			f.def = m[1]
		}
		if m := usageBoolDefault.FindStringSubmatch(line); m != nil {
			f.def = m[1]
		}
		flags[name] = f
	}
	return flags, usage.String()
}

// TestListenDefaultIsLoopback guards -listen's default: unconfigured, the
// server is reachable from this machine only, not from the network.
func TestListenDefaultIsLoopback(t *testing.T) {
	t.Setenv("MCU_LISTEN", "") // empty counts as unset
	flags, usage := serveFlags(t)
	def := flags["listen"].def
	host, _, err := net.SplitHostPort(def)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		t.Errorf("-listen's default %q is not a loopback address:\n%s", def, usage)
	}
}

// TestAutoRecordVariable: MCU_AUTO_RECORD other than a truth value is a
// usage error naming it, not a server that records nothing.
func TestAutoRecordVariable(t *testing.T) {
	t.Setenv("MCU_AUTO_RECORD", "yes please")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "MCU_AUTO_RECORD") {
		t.Errorf("MCU_AUTO_RECORD=%q: %v, want a usage error naming it", "yes please", err)
	}
}

// TestFlagsReadTheirVariables guards the name of every MCU_* variable serve
// reads: each one set changes its flag's value, and the secrets among them
// never reach the usage text.
func TestFlagsReadTheirVariables(t *testing.T) {
	// Shown as the flag's default; distinct values, so that a variable
	// read for the wrong flag is caught too.
	shown := map[string]struct{ env, val string }{
		"listen":               {"MCU_LISTEN", "127.0.0.2:18080"},
		"record-dir":           {"MCU_RECORD_DIR", "/srv/mcu-env-recordings"},
		"record-min-free":      {"MCU_RECORD_MIN_FREE", "3G"},
		"size":                 {"MCU_SIZE", "640x360"},
		"fps":                  {"MCU_FPS", "24"},
		"bitrate":              {"MCU_BITRATE", "2100k"},
		"min-bitrate":          {"MCU_MIN_BITRATE", "350k"},
		"audio-bitrate":        {"MCU_AUDIO_BITRATE", "48k"},
		"speed":                {"MCU_SPEED", "-9"},
		"strain-speed":         {"MCU_STRAIN_SPEED", "-14"},
		"tls-cert":             {"MCU_TLS_CERT", "/etc/mcu-env/cert.pem"},
		"tls-key":              {"MCU_TLS_KEY", "/etc/mcu-env/key.pem"},
		"layout":               {"MCU_LAYOUT", "speaker"},
		"max-participants":     {"MCU_MAX_PARTICIPANTS", "17"},
		"max-viewers":          {"MCU_MAX_VIEWERS", "33"},
		"max-conns-per-client": {"MCU_MAX_CONNS_PER_CLIENT", "44"},
		"max-rooms":            {"MCU_MAX_ROOMS", "7"},
		"overload-hold":        {"MCU_OVERLOAD_HOLD", "25s"},
		"voices":               {"MCU_VOICES", "6"},
		"peer-timeout":         {"MCU_PEER_TIMEOUT", "40s"},
		"udp-port":             {"MCU_UDP_PORT", "50123"},
		"loopback-candidates":  {"MCU_LOOPBACK_CANDIDATES", "false"},
		"shutdown-timeout":     {"MCU_SHUTDOWN_TIMEOUT", "45s"},
		"debug-addr":           {"MCU_DEBUG_ADDR", "127.0.0.1:6061"},
		"auto-record":          {"MCU_AUTO_RECORD", "true"},
		"webhook":              {"MCU_WEBHOOK", "https://app.example.com/mcu-events"},
	}
	// Not shown (a TURN password, the token): a value refused at start
	// shows the variable is read.
	hidden := map[string]struct{ env, bad string }{
		"ice-server":     {"MCU_ICE_SERVERS", "turn:ada:topsecret@"},
		"nat1to1-ip":     {"MCU_NAT1TO1_IP", "myhost.example.com"},
		"auth-token":     {"MCU_AUTH_TOKEN", "topsecret"},
		"webhook-secret": {"MCU_WEBHOOK_SECRET", "topsecret-but-short"},
	}
	for _, s := range shown {
		t.Setenv(s.env, s.val)
	}
	const secret = "turn:ada:topsecret@turn.example.com:3478"
	t.Setenv("MCU_ICE_SERVERS", secret)
	t.Setenv("MCU_AUTH_TOKEN", "a-topsecret-token-of-the-environment")
	flags, usage := serveFlags(t)
	for name, s := range shown {
		if got := flags[name]; got.env != s.env || got.def != s.val {
			t.Errorf("-%s with %s=%s: usage names %q with default %q", name, s.env, s.val, got.env, got.def)
		}
	}
	if strings.Contains(usage, "topsecret") {
		t.Errorf("the usage shows a secret of the environment:\n%s", usage)
	}
	for name := range flags {
		_, ok1 := shown[name]
		_, ok2 := hidden[name]
		if !ok1 && !ok2 && flags[name].env != "" {
			t.Errorf("-%s reads %s, which this test does not check", name, flags[name].env)
		}
	}

	for name, h := range hidden {
		if got := flags[name].env; got != h.env {
			t.Errorf("-%s: usage names %q, want %s", name, got, h.env)
		}
	}
	for _, s := range shown {
		t.Setenv(s.env, "")
	}
	for name, h := range hidden {
		for _, v := range hidden {
			t.Setenv(v.env, "")
		}
		t.Setenv(h.env, h.bad)
		// Cancelled: a value not refused starts a server that stops at once.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stderr bytes.Buffer
		err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, &stderr)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("-%s with %s=%q: %v, want a usage error", name, h.env, h.bad, err)
		}
		if err != nil && strings.Contains(err.Error()+stderr.String(), "topsecret") {
			t.Errorf("%s=%q: the error shows the secret: %v", h.env, h.bad, err)
		}
	}
}

// TestReadmeListsEveryFlag guards the README's flag table against the
// code: every flag, its variable and its default as serve's usage shows
// them (the secrets' variables too, which the usage names without value).
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"MCU_LISTEN", "MCU_RECORD_DIR", "MCU_SIZE", "MCU_FPS", "MCU_BITRATE", "MCU_MIN_BITRATE",
		"MCU_AUDIO_BITRATE", "MCU_SPEED", "MCU_LAYOUT", "MCU_MAX_PARTICIPANTS", "MCU_MAX_VIEWERS", "MCU_MAX_ROOMS", "MCU_MAX_CONNS_PER_CLIENT",
		"MCU_ICE_SERVERS", "MCU_NAT1TO1_IP", "MCU_UDP_PORT", "MCU_LOOPBACK_CANDIDATES", "MCU_SHUTDOWN_TIMEOUT",
		"MCU_AUTH_TOKEN", "MCU_DEBUG_ADDR", "MCU_AUTO_RECORD", "MCU_WEBHOOK"} {
		t.Setenv(env, "") // the defaults, not this machine's settings
	}
	flags, _ := serveFlags(t)
	// The table under the header "| flag | environment | default | meaning |",
	// up to the first line that is not a row.
	_, table, ok := strings.Cut(string(readme), "| flag | environment | default | meaning |\n")
	if !ok {
		t.Fatal("no table of serve's flags in the README")
	}
	readmeEnv := regexp.MustCompile(`MCU_[A-Z0-9_]+`)
	documented := map[string]bool{}
	for line := range strings.SplitSeq(table, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`-") {
			continue // the |---| line
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`-")
		env := readmeEnv.FindString(cells[2])
		def := strings.Trim(strings.TrimSpace(cells[3]), "`")
		documented[name] = true
		f, ok := flags[name]
		if !ok {
			t.Errorf("the README lists -%s, which serve does not have", name)
			continue
		}
		if env != f.env || def != f.def {
			t.Errorf("README: -%s %q default %q; serve: %q default %q", name, env, def, f.env, f.def)
		}
	}
	for name := range flags {
		if !documented[name] {
			t.Errorf("-%s (%s) is not in the README's flag table", name, flags[name].env)
		}
	}
}

// TestListenErrorNamesTheFlag: an address the server cannot listen on
// fails naming -listen.
func TestListenErrorNamesTheFlag(t *testing.T) {
	err := serveCommand(t.Context(), []string{"-listen", "127.0.0.1:99999", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "-listen:") {
		t.Errorf("-listen 127.0.0.1:99999: %v, want an error naming -listen", err)
	}
}
