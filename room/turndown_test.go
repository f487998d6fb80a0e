package room

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// lockedBuffer is a bytes.Buffer for a logger written from several
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// synBlackHole is a TCP address on loopback whose SYNs go unanswered, as
// a TURN server's behind a firewall that drops them, or whose host is
// gone: a listener whose accept queue is full and never accepts.
func synBlackHole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 3 { // fills the queue
		d := net.Dialer{Timeout: 300 * time.Millisecond}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	d := net.Dialer{Timeout: time.Second}
	if c, err := d.Dial("tcp", addr); err == nil {
		c.Close()
		t.Skip("the kernel answered a SYN to a full accept queue")
	}
	return addr
}

// turnDownManager is testManager with a TURN server that does not answer,
// a gathering timeout of gather, and its logs kept.
func turnDownManager(t *testing.T, url string, gather time.Duration) (*Manager, *lockedBuffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{url}, Username: "u", Credential: "p"}}
	cfg.RecordDir = t.TempDir()
	cfg.OverloadHold = 0
	cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = 320, 180
	cfg.Net.LoopbackOnly = true
	cfg.GatherTimeout = gather
	logs := &lockedBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	m, err := NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	return m, logs
}

// TestLeaveWithTURNUnreachable: with a TURN server over TCP whose SYNs
// are dropped, a join is answered after the gathering timeout, and the
// participant's leave is not held up by pion's dial: closing a peer waits
// for its gathering, and pion's dial has no deadline of its own (the
// kernel's retries took 2m9s).
func TestLeaveWithTURNUnreachable(t *testing.T) {
	m, _ := turnDownManager(t, "turn:"+synBlackHole(t)+"?transport=tcp", 5*time.Second)
	pc, packets := recvPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, answer, err := m.Join(ctx, "x", "", Participant, gatheredOffer(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { return packets.Load() > 10 }) {
		t.Fatalf("%d packets of the mix", packets.Load())
	}
	left := make(chan error, 1)
	start := time.Now()
	go func() { left <- m.Leave("x", s.Key()) }()
	select {
	case err := <-left:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the leave took %v", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("the leave still waits after 5 s (pion's dial of the TURN server)")
	}
}

// TestGatherTimeoutNamesServers: a join answered after the gathering
// timeout says in its warning which STUN and TURN servers the server
// gathers with, for the operator to see which one does not answer.
func TestGatherTimeoutNamesServers(t *testing.T) {
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	url := "turn:" + silent.LocalAddr().String() + "?transport=udp"
	m, logs := turnDownManager(t, url, time.Second)
	pc, _ := recvPeer(t)
	start := time.Now()
	joinRoom(t, m, Participant, pc)
	t.Logf("the join took %v", time.Since(start))
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "ICE gathering timed out") {
			if !strings.Contains(l, url) || !strings.Contains(l, "level=WARN") {
				t.Errorf("the warning %q does not name %s", l, url)
			}
			return
		}
	}
	t.Errorf("no warning of the gathering timing out; logs:\n%s", logs)
}
