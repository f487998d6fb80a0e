package room

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"mcu/internal/replyaddr"
)

// TestMediaPortClosedAtShutdownIsRoutine: the one media port (-udp-port)
// closed at a clean shutdown, after the rooms, is no warning: pion's UDP
// mux reads on until its socket closes under it, and a warning at every
// stop would fill `journalctl -p warning`.
func TestMediaPortClosedAtShutdownIsRoutine(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	media, err := replyaddr.Wrap(conn)
	if err != nil {
		t.Fatal(err)
	}
	h := &records{level: slog.LevelInfo}
	cfg := DefaultConfig()
	cfg.RecordDir = t.TempDir()
	cfg.Net.UDPMux = media
	cfg.Logger = slog.New(h)
	m, err := NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn.Close() // as serve does, after the rooms
	time.Sleep(200 * time.Millisecond)
	for _, r := range h.all() {
		t.Errorf("%v %q after the media port closed, want nothing at info or above", r.Level, r.Message)
	}
}

// TestRelayClosedIsRoutine: a relay candidate's read ending when its
// session closes (pion's TURN client says it with an error of its own,
// not net.ErrClosed) is routine, as a host candidate's is.
func TestRelayClosedIsRoutine(t *testing.T) {
	h := &records{level: slog.LevelInfo}
	closed := &net.OpError{Op: "read", Net: "udp", Err: errors.New("use of closed network connection")}
	newPionLogs(slog.New(h)).NewLogger("ice").Warnf("Failed to read from candidate %s: %v", "udp4 relay 127.0.0.1:19153 related 127.0.0.1:51688", closed)
	for _, r := range h.all() {
		if strings.HasPrefix(r.Message, "Failed to read from candidate") {
			t.Errorf("%v %q, want debug", r.Level, r.Message)
		}
	}
}
