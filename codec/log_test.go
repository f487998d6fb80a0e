//go:build cgo

package codec

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// TestLogLimiter: at most logBurst lines a window; the first line let
// through in a later window says how many were held back.
func TestLogLimiter(t *testing.T) {
	var l logLimiter
	t0 := time.Unix(1000, 0)
	passed := 0
	for range 1000 {
		if ok, held := l.allow(t0); ok {
			passed++
			if held != 0 {
				t.Errorf("held back %d before the first window's lines", held)
			}
		}
	}
	if passed != logBurst {
		t.Errorf("%d of 1000 lines in one window let through, want %d", passed, logBurst)
	}
	if ok, held := l.allow(t0.Add(logWindow - time.Millisecond)); ok || held != 0 {
		t.Errorf("a line just before the window ended: %v, %d", ok, held)
	}
	if ok, held := l.allow(t0.Add(logWindow)); !ok || held != 1000-logBurst+1 {
		t.Errorf("the next window's first line: %v, held back %d, want true and %d", ok, held, 1000-logBurst+1)
	}
}

// countHandler counts the records logged through it.
type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Enabled(context.Context, slog.Level) bool  { return true }
func (h *countHandler) Handle(context.Context, slog.Record) error { h.n.Add(1); return nil }
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h *countHandler) WithGroup(string) slog.Handler             { return h }

// TestFFmpegLogIsBounded: a sender repeating a broken frame that FFmpeg
// logs an error for cannot flood the log: a thousand of them make at most
// logBurst lines.
func TestFFmpegLogIsBounded(t *testing.T) {
	prev := ffmpegLogger.Load()
	t.Cleanup(func() {
		if prev != nil {
			SetLogger(prev)
		}
	})
	var h countHandler
	SetLogger(slog.New(&h))
	d, err := NewVideoDecoder(VP8)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bad := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0xff, 0xff, 0xff} // a keyframe header promising more than it holds
	for range 1000 {
		d.Send(bad, NoPTS)
		var f Frame
		d.Receive(&f)
	}
	if n := h.n.Load(); n > logBurst {
		t.Errorf("%d log records for 1000 broken frames, want at most %d", n, logBurst)
	}
}
