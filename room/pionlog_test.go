package room

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// records keeps what a logger was given.
type records struct {
	mu    sync.Mutex
	level slog.Level
	got   []slog.Record
}

func (h *records) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, r)
	return nil
}
func (h *records) WithAttrs(as []slog.Attr) slog.Handler { return &withAttrs{h, as} }
func (h *records) WithGroup(string) slog.Handler         { return h }

func (h *records) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.got...)
}

// withAttrs puts a logger's attributes into the records it handles.
type withAttrs struct {
	*records
	attrs []slog.Attr
}

func (w *withAttrs) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(w.attrs...)
	return w.records.Handle(ctx, r)
}
func (w *withAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &withAttrs{w.records, append(append([]slog.Attr(nil), w.attrs...), as...)}
}

func attr(r slog.Record, key string) (v slog.Value, ok bool) {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, ok = a.Value, true
			return false
		}
		return true
	})
	return v, ok
}

// counted counts how often it is formatted.
type counted struct{ n *int }

func (c counted) String() string { *c.n++; return "x" }

func TestPionLogsLevels(t *testing.T) {
	h := &records{level: slog.LevelDebug}
	logs := newPionLogs(slog.New(h).With("session", "s1"))
	l := logs.NewLogger("ice")
	formatted := 0
	l.Tracef("trace %v", counted{&formatted}) // below debug: never formatted
	l.Infof("state %s", "checking")
	l.Warnf("discard request from %s", "10.0.0.1:5000")
	l.Error("100%")

	got := h.all()
	if formatted != 0 {
		t.Errorf("a trace message nobody sees was formatted %d times", formatted)
	}
	want := []struct {
		level slog.Level
		msg   string
	}{{slog.LevelDebug, "state checking"}, {slog.LevelInfo, "discard request from 10.0.0.1:5000"}, {slog.LevelWarn, "100%"}}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Level != w.level || got[i].Message != w.msg {
			t.Errorf("record %d: %v %q, want %v %q", i, got[i].Level, got[i].Message, w.level, w.msg)
		}
		if v, ok := attr(got[i], "pion"); !ok || v.String() != "ice" {
			t.Errorf("record %d: pion=%v, want the scope ice", i, v)
		}
		if v, ok := attr(got[i], "session"); !ok || v.String() != "s1" {
			t.Errorf("record %d: session=%v, want the peer's", i, v)
		}
	}
}

// TestPionLogsRoutineWarnings: the warnings pion makes at every join and
// leave (pinging before the candidates are added, streams accepted after
// the close) are debug, take nothing of a peer's allowance, and other
// warnings of the same words stay warnings.
func TestPionLogsRoutineWarnings(t *testing.T) {
	h := &records{level: slog.LevelDebug}
	logs := newPionLogs(slog.New(h))
	l := logs.NewLogger("pc")
	for range pionLogBurst + 5 {
		l.Warn("Failed to ping without candidate pairs. Connection is not possible yet.")
		l.Warnf("Failed to accept RTP %v", "stream is already closed")
		l.Warnf("Failed to accept RTCP %v", "stream is already closed")
		l.Warnf("Failed to read from candidate %s: %v", "udp4 host 127.0.0.1:5000", io.ErrClosedPipe)
		l.Warn("UDPMuxDefault should not listening on unspecified address, use NewMultiUDPMuxFromPort instead")
	}
	l.Warnf("Failed to accept RTP %v", "srtp: invalid packet")
	got := h.all()
	if len(got) != 5*(pionLogBurst+5)+1 {
		t.Fatalf("%d records, want %d", len(got), 5*(pionLogBurst+5)+1)
	}
	for _, r := range got[:len(got)-1] {
		if r.Level != slog.LevelDebug {
			t.Errorf("%q at %v, want debug", r.Message, r.Level)
		}
	}
	if last := got[len(got)-1]; last.Level != slog.LevelInfo || last.Message != "Failed to accept RTP srtp: invalid packet" {
		t.Errorf("the last record %v %q, want the other failure at info", last.Level, last.Message)
	}
	// A read failing for another reason than its session's close is told.
	h2 := &records{level: slog.LevelInfo}
	newPionLogs(slog.New(h2)).NewLogger("ice").Warnf("Failed to read from candidate %s: %v", "udp4 host 127.0.0.1:5000", errors.New("read: connection refused"))
	if got := h2.all(); len(got) != 1 || got[0].Level != slog.LevelInfo {
		t.Errorf("another read failure: %v, want one record at info", got)
	}
}

// A peer that makes pion warn for every packet gets a burst of warnings
// through, then one per interval, which says how many were left out.
func TestPionLogsLimitAPeersWarnings(t *testing.T) {
	h := &records{level: slog.LevelInfo}
	logs := newPionLogs(slog.New(h))
	now := time.Unix(1000, 0)
	logs.now = func() time.Time { return now }
	l := logs.NewLogger("ice")
	for range 100 {
		l.Warn("discard request with wrong username")
		now = now.Add(time.Millisecond)
	}
	if n := len(h.all()); n != pionLogBurst {
		t.Fatalf("%d warnings of 100 in 100 ms got through, want the burst of %d", n, pionLogBurst)
	}
	now = now.Add(pionLogInterval)
	l.Warn("discard request with wrong username")
	l.Warn("discard request with wrong username")
	got := h.all()
	if len(got) != pionLogBurst+1 {
		t.Fatalf("%d warnings after an interval, want 1 more than the burst", len(got))
	}
	if v, ok := attr(got[pionLogBurst], "left_out"); !ok || v.Int64() != 90 {
		t.Errorf("left_out=%v, want the 90 dropped", v)
	}
	if _, ok := attr(got[0], "left_out"); ok {
		t.Error("the first warning says some were left out")
	}
	// A warning left out is not formatted either.
	formatted := 0
	for range 5 {
		l.Warnf("discard %v", counted{&formatted})
	}
	if formatted != 0 {
		t.Errorf("warnings left out were formatted %d times", formatted)
	}
	// The peer goes: the last ones left out are told.
	logs.flush()
	got = h.all()
	if len(got) != pionLogBurst+2 {
		t.Fatalf("%d records after flush, want a line for the 6 left out", len(got))
	}
	if v, ok := attr(got[pionLogBurst+1], "left_out"); !ok || v.Int64() != 6 {
		t.Errorf("flush: left_out=%v, want 6", v)
	}
	logs.flush()
	if n := len(h.all()); n != pionLogBurst+2 {
		t.Errorf("a second flush with nothing left out logged")
	}
	// Debug messages are not counted against the warnings.
	h.level = slog.LevelDebug
	l.Info("state checking")
	if n := len(h.all()); n != pionLogBurst+3 {
		t.Errorf("a debug message was held back with the warnings: %d records", n)
	}
}

// The API a peer is made with logs pion's messages through the server's
// logger, tagged with the peer.
func TestPeerConnectionLogsThroughSlog(t *testing.T) {
	h := &records{level: traceLevel}
	a := newAPIMaker(NetConfig{Loopback: true}, slog.New(h))
	api, err := a.newAPI(nil, newPionLogs(slog.New(h).With("session", "s1")), &srClocks{})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(pc)
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	scopes := map[string]bool{}
	for _, r := range h.all() {
		v, ok := attr(r, "pion")
		if !ok {
			continue
		}
		scopes[v.String()] = true
		if s, ok := attr(r, "session"); !ok || s.String() != "s1" {
			t.Errorf("pion's %q from %s is not tagged with its peer", r.Message, v)
		}
	}
	if len(scopes) == 0 {
		t.Fatal("pion logged nothing through the server's logger")
	}
	t.Logf("pion scopes seen: %v", scopes)
}
