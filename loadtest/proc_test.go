package loadtest

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const netTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1066 1 00000000f0825184 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 114316 2 00000000ed3682f5 100 0 0 10 0
   2: 0100007F:1F90 0100007F:B135 01 00000000:00000000 03:00000000 00000000  1000        0 114999 3 00000000cba53cb1
   3: 0100007F:B135 0100007F:1F90 0A 00000000:00000000 00:00000000 00000000  1000        0 114400 3 00000000cba53cb1
`

const netTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 100 0 0 10 0
`

func TestListeningInodes(t *testing.T) {
	got, err := ListeningInodes(strings.NewReader(netTCP), 8080)
	if err != nil || len(got) != 1 || got[0] != 114316 {
		t.Errorf("port 8080 (0x1F90): %v, %v; want the listening socket 114316 only", got, err)
	}
	got, _ = ListeningInodes(strings.NewReader(netTCP6), 8080)
	if len(got) != 1 || got[0] != 222 {
		t.Errorf("tcp6: %v, want 222", got)
	}
	got, _ = ListeningInodes(strings.NewReader(netTCP), 9999)
	if len(got) != 0 {
		t.Errorf("port 9999: %v, want none", got)
	}
}

// fakeProc builds a /proc with the two tables and processes whose fds link
// to the given targets.
func fakeProc(t *testing.T, fds map[string][]string) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "net"), 0o755))
	must(os.WriteFile(filepath.Join(root, "net", "tcp"), []byte(netTCP), 0o644))
	must(os.WriteFile(filepath.Join(root, "net", "tcp6"), []byte(netTCP6), 0o644))
	must(os.MkdirAll(filepath.Join(root, "self"), 0o755)) // not a pid
	for pid, targets := range fds {
		dir := filepath.Join(root, pid, "fd")
		must(os.MkdirAll(dir, 0o755))
		for i, target := range targets {
			must(os.Symlink(target, filepath.Join(dir, string(rune('0'+i)))))
		}
	}
	return root
}

func TestFindListener(t *testing.T) {
	root := fakeProc(t, map[string][]string{
		"100": {"/dev/null", "socket:[1]"},
		"200": {"/dev/null", "pipe:[3]", "socket:[114316]"},
		"300": {"socket:[114400]"}, // listens on another port
	})
	if pid, err := FindListener(root, 8080); err != nil || pid != 200 {
		t.Errorf("FindListener = %d, %v; want 200", pid, err)
	}
	if _, err := FindListener(root, 9999); !errors.Is(err, ErrNoServerProcess) {
		t.Errorf("nobody listening: err %v", err)
	}

	// Two processes holding the listening sockets (v4 and v6): ambiguous.
	root = fakeProc(t, map[string][]string{"200": {"socket:[114316]"}, "201": {"socket:[222]"}})
	if _, err := FindListener(root, 8080); err == nil || !strings.Contains(err.Error(), "-pid") {
		t.Errorf("two owners: err %v", err)
	}
	// Listening, but the owner's fds are not visible.
	root = fakeProc(t, map[string][]string{"100": {"/dev/null"}})
	if _, err := FindListener(root, 8080); !errors.Is(err, ErrNoServerProcess) {
		t.Errorf("hidden owner: err %v", err)
	}
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat   string
		utime, stime uint64
	}{
		{"plain", "19824 (cat) R 19811 19811 10236 0 -1 4194304 97 0 0 0 731 42 0 0 20 0 1 0 331609 3133440 361", 731, 42},
		{"spaces and parentheses in the name", "42 (my (odd) prog) S 1 42 42 0 -1 4194560 5000 0 0 0 123456 7890 0 0 20 0 12 0 100 2355572 22255", 123456, 7890},
	} {
		u, s, err := ParseStat(tc.stat)
		if err != nil || u != tc.utime || s != tc.stime {
			t.Errorf("%s: %d, %d, %v; want %d, %d", tc.name, u, s, err, tc.utime, tc.stime)
		}
	}
	for _, bad := range []string{"", "1 (x) R 1 2 3", "1 (x) R 1 1 1 0 -1 0 0 0 0 0 zz 1 0"} {
		if _, _, err := ParseStat(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Process.CPU is the process's user plus system time, in clock ticks.
func TestProcessCPU(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "4242")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stat := "4242 (mcu) S 1 4242 4242 0 -1 4194560 5000 0 0 0 731 42 0 0 20 0 12 0 100 2355572 22255"
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	p := NewProcess(root, 4242)
	p.tick = 10 * time.Millisecond // USER_HZ 100
	if got, err := p.CPU(); err != nil || got != 7730*time.Millisecond {
		t.Errorf("CPU = %v, %v; want 7.73s (731 user + 42 system ticks of 10ms)", got, err)
	}
	if _, err := NewProcess(root, 4243).CPU(); err == nil {
		t.Error("CPU of a process without a stat file: no error")
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tmcu\nVmPeak:\t 2488056 kB\nVmHWM:\t  215464 kB\nVmRSS:\t  199752 kB\nThreads:\t12\n"
	m, err := ParseStatus(status)
	if err != nil || m.Peak != 215464<<10 || m.RSS != 199752<<10 {
		t.Errorf("ParseStatus = %+v, %v", m, err)
	}
	if _, err := ParseStatus("Name:\tkthreadd\nThreads:\t1\n"); err == nil {
		t.Error("a kernel thread's status parsed")
	}
	if _, err := ParseStatus("VmHWM:\t 12 MB\nVmRSS:\t 1 kB\n"); err == nil {
		t.Error("odd unit accepted")
	}
}

func TestParseAuxv(t *testing.T) {
	var b []byte
	for _, kv := range [][2]uint64{{33, 0x7fff0000}, {16, 0xbfebfbff}, {6, 4096}, {17, 100}, {3, 0x400040}, {0, 0}} {
		b = binary.NativeEndian.AppendUint64(b, kv[0])
		b = binary.NativeEndian.AppendUint64(b, kv[1])
	}
	if hz := ParseAuxv(b); hz != 100 {
		t.Errorf("AT_CLKTCK = %d, want 100", hz)
	}
	if hz := ParseAuxv(b[:3*16]); hz != 0 {
		t.Errorf("without AT_CLKTCK: %d, want 0", hz)
	}
	if hz := ParseAuxv(b[:7]); hz != 0 {
		t.Errorf("truncated: %d, want 0", hz)
	}
}

func TestParseCPULine(t *testing.T) {
	stat := "cpu  224926 1652 53747 370023 3650 0 728 7094 0 0\ncpu0 108708 809 25884 191554 440 0 82 3510 0 0\n"
	busy, idle, steal, err := ParseCPULine(stat)
	if err != nil || busy != 224926+1652+53747+728 || idle != 370023+3650 || steal != 7094 {
		t.Errorf("ParseCPULine = %d, %d, %d, %v", busy, idle, steal, err)
	}
	if _, _, _, err := ParseCPULine("intr 1 2 3\n"); err == nil {
		t.Error("no cpu line accepted")
	}
}

// The real /proc: this process is found from its own listening socket.
func TestFindListenerSelf(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc")
	}
	pid, port := listenSelf(t)
	got, err := FindListener("/proc", port)
	if err != nil || got != pid {
		t.Fatalf("FindListener = %d, %v; want %d", got, err, pid)
	}
	p := NewProcess("/proc", pid)
	if _, err := p.CPU(); err != nil {
		t.Error(err)
	}
	if m, err := p.Memory(); err != nil || m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("Memory = %+v, %v", m, err)
	}
}

// listenSelf opens a listening TCP socket in this process and returns the
// pid and port.
func listenSelf(t *testing.T) (int, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return os.Getpid(), ln.Addr().(*net.TCPAddr).Port
}

// TestParseCPULineIRQ: irq and softirq are busy time, guest and
// guest_nice (already inside user) are not counted again.
func TestParseCPULineIRQ(t *testing.T) {
	stat := "cpu  1000 20 300 5000 40 7 11 13 500 60\n"
	busy, idle, steal, err := ParseCPULine(stat)
	if err != nil || busy != 1000+20+300+7+11 || idle != 5000+40 || steal != 13 {
		t.Errorf("ParseCPULine = %d, %d, %d, %v; want %d, %d, 13", busy, idle, steal, err, 1000+20+300+7+11, 5000+40)
	}
}
