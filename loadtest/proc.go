package loadtest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Reading another process's CPU time and memory from /proc (Linux only).

// ErrNoServerProcess means no process on this machine listens on the port.
var ErrNoServerProcess = errors.New("loadtest: no local process listens on the port")

// tcpListen is the state of a listening socket in /proc/net/tcp{,6}.
const tcpListen = "0A"

// ListeningInodes returns the socket inodes of the sockets listening on
// port in a /proc/net/tcp or /proc/net/tcp6 table.
func ListeningInodes(table io.Reader, port int) ([]uint64, error) {
	sc := bufio.NewScanner(table)
	var inodes []uint64
	first := true
	for sc.Scan() {
		if first { // the header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpListen {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil || inode == 0 {
			continue
		}
		inodes = append(inodes, inode)
	}
	return inodes, sc.Err()
}

// FindListener returns the pid of the process that listens on the TCP port,
// looking in procRoot (normally /proc): the listening socket's inode in
// net/tcp and net/tcp6, then the process whose fd links to it. Processes
// whose fds cannot be read (other users) are skipped.
func FindListener(procRoot string, port int) (int, error) {
	want := map[string]bool{}
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		f, err := os.Open(filepath.Join(procRoot, name))
		if err != nil {
			continue
		}
		inodes, err := ListeningInodes(f, port)
		f.Close()
		if err != nil {
			return 0, err
		}
		for _, ino := range inodes {
			want["socket:["+strconv.FormatUint(ino, 10)+"]"] = true
		}
	}
	if len(want) == 0 {
		return 0, fmt.Errorf("%w (%d)", ErrNoServerProcess, port)
	}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		dir := filepath.Join(procRoot, e.Name(), "fd")
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && want[link] {
				pids = append(pids, pid)
				break
			}
		}
	}
	switch len(pids) {
	case 0:
		return 0, fmt.Errorf("%w (%d; its owner's /proc/PID/fd is not readable: use -pid)", ErrNoServerProcess, port)
	case 1:
		return pids[0], nil
	}
	return 0, fmt.Errorf("loadtest: processes %v all hold a socket listening on port %d: use -pid", pids, port)
}

// ParseStat returns the user and system CPU time, in clock ticks, from the
// text of /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func ParseStat(stat string) (utime, stime uint64, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, errors.New("loadtest: /proc stat: no command name")
	}
	// After ") " come fields 3 (state) onwards; utime and stime are fields
	// 14 and 15, so indexes 11 and 12 here.
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, 0, errors.New("loadtest: /proc stat: too few fields")
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("loadtest: /proc stat utime: %w", err)
	}
	if stime, err = strconv.ParseUint(f[12], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("loadtest: /proc stat stime: %w", err)
	}
	return utime, stime, nil
}

// Memory is a process's resident memory from /proc/PID/status, in bytes.
type Memory struct {
	RSS  int64 // VmRSS: now
	Peak int64 // VmHWM: the highest since the process started
}

// ParseStatus reads VmRSS and VmHWM from the text of /proc/PID/status.
func ParseStatus(status string) (Memory, error) {
	var m Memory
	var found int
	for line := range strings.Lines(status) {
		key, rest, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return m, fmt.Errorf("loadtest: /proc status: bad %s line %q", key, strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("loadtest: /proc status %s: %w", key, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
		found++
	}
	if found < 2 {
		return m, errors.New("loadtest: /proc status: no VmRSS/VmHWM (a kernel thread or a zombie?)")
	}
	return m, nil
}

// atClkTck is the auxiliary vector entry holding the kernel's clock tick
// rate (AT_CLKTCK in <elf.h>).
const atClkTck = 17

// ParseAuxv finds AT_CLKTCK in the bytes of /proc/self/auxv (pairs of
// native-endian machine words) and returns 0 when it is absent.
func ParseAuxv(b []byte) uint64 {
	const word = 8 // 64-bit platforms only; 32-bit ones fall back to 100
	for i := 0; i+2*word <= len(b); i += 2 * word {
		key := binary.NativeEndian.Uint64(b[i:])
		if key == 0 {
			break
		}
		if key == atClkTck {
			return binary.NativeEndian.Uint64(b[i+word:])
		}
	}
	return 0
}

// clockTick is the length of one /proc/PID/stat tick (USER_HZ; 100 Hz on
// every Linux we know, but read it when we can).
func clockTick() time.Duration {
	if b, err := os.ReadFile("/proc/self/auxv"); err == nil {
		if hz := ParseAuxv(b); hz > 0 && hz <= uint64(time.Second) {
			return time.Second / time.Duration(hz)
		}
	}
	return 10 * time.Millisecond
}

// Process reads one process's CPU time and memory.
type Process struct {
	PID  int
	root string
	tick time.Duration
}

// NewProcess watches pid through procRoot (normally /proc).
func NewProcess(procRoot string, pid int) *Process {
	return &Process{PID: pid, root: procRoot, tick: clockTick()}
}

// CPU is the process's user+system time so far.
func (p *Process) CPU() (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(p.PID), "stat"))
	if err != nil {
		return 0, err
	}
	u, s, err := ParseStat(string(b))
	if err != nil {
		return 0, err
	}
	return time.Duration(u+s) * p.tick, nil
}

// Name is the process's command name (/proc/PID/comm), "" if unknown.
func (p *Process) Name() string {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(p.PID), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Memory is the process's resident memory now and at its peak.
func (p *Process) Memory() (Memory, error) {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.Itoa(p.PID), "status"))
	if err != nil {
		return Memory{}, err
	}
	return ParseStatus(string(b))
}

// ParseCPULine reads the machine-wide "cpu" line of /proc/stat and returns
// the clock ticks, over all cores, spent busy by this machine's processes
// and kernel (user, nice, system, irq, softirq; guest time is already
// inside user), idle (idle, iowait), and stolen: time the virtual machine
// wanted to run while the hypervisor ran something else, which no process
// here used.
func ParseCPULine(stat string) (busy, idle, steal uint64, err error) {
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) < 5 || f[0] != "cpu" {
			continue
		}
		for i, s := range f[1:min(len(f), 9)] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, 0, 0, fmt.Errorf("loadtest: /proc/stat: %w", err)
			}
			switch i {
			case 3, 4: // idle, iowait
				idle += v
			case 7:
				steal += v
			default:
				busy += v
			}
		}
		return busy, idle, steal, nil
	}
	return 0, 0, 0, errors.New("loadtest: /proc/stat: no cpu line")
}

// machineCPUs is how many CPUs /proc/stat counts (its cpuN lines): the
// CPUs machineCPU covers, whatever this process's affinity
// (runtime.NumCPU counts only those it may run on).
func machineCPUs(procRoot string) (int, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return 0, err
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if f, _, _ := strings.Cut(line, " "); len(f) > 3 && strings.HasPrefix(f, "cpu") {
			n++
		}
	}
	return n, nil
}

// machineCPU is the CPU time every process of the machine has used so far,
// and the time stolen from it, from procRoot/stat.
func machineCPU(procRoot string) (busy, steal time.Duration, err error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return 0, 0, err
	}
	ticks, _, stolen, err := ParseCPULine(string(b))
	return time.Duration(ticks) * clockTick(), time.Duration(stolen) * clockTick(), err
}
