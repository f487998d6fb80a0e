//go:build cgo

package codec

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestLogLimiter: at most logBurst lines a window; the first line held
// back says when the window ends, and take counts the lines held back.
func TestLogLimiter(t *testing.T) {
	var l logLimiter
	t0 := time.Unix(1000, 0)
	passed, reports := 0, 0
	for i := range 1000 {
		level := slog.LevelWarn
		if i == 500 {
			level = slog.LevelError
		}
		ok, reportIn := l.allow(t0.Add(time.Duration(i)*time.Millisecond), level)
		if ok {
			passed++
		}
		if reportIn > 0 {
			reports++
			if at := t0.Add(time.Duration(i)*time.Millisecond + reportIn); !at.Equal(t0.Add(logWindow)) {
				t.Errorf("report at %v, want the window's end", at.Sub(t0))
			}
		}
	}
	if passed != logBurst || reports != 1 {
		t.Errorf("%d of 1000 lines in one window let through, %d reports; want %d and 1", passed, reports, logBurst)
	}
	if n, level := l.take(); n != 1000-logBurst || level != slog.LevelError {
		t.Errorf("%d held back, the highest at %v; want %d and ERROR", n, level, 1000-logBurst)
	}
	if n, _ := l.take(); n != 0 {
		t.Errorf("%d held back after take, want 0", n)
	}
	if ok, _ := l.allow(t0.Add(logWindow), slog.LevelWarn); !ok {
		t.Error("the next window's first line held back")
	}
}

// countHandler counts FFmpeg's own lines logged through it (not the
// "lines held back" summaries, which a timer left by an earlier test may
// log meanwhile), those that contain substr if it is set.
type countHandler struct {
	substr string
	n      atomic.Int64
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "ffmpeg" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "msg" && strings.Contains(a.Value.String(), h.substr) {
			h.n.Add(1)
		}
		return true
	})
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

// countFFmpegLines sends FFmpeg's lines to h, in a limiter window of their
// own (earlier tests' lines may have used theirs up), until the test ends.
func countFFmpegLines(t *testing.T, h *countHandler) {
	prev := ffmpegLogger.Load()
	t.Cleanup(func() {
		if prev != nil {
			SetLogger(prev)
		}
	})
	SetLogger(slog.New(h))
	ffmpegLines.mu.Lock()
	ffmpegLines.start, ffmpegLines.n, ffmpegLines.held = time.Now(), 0, 0
	ffmpegLines.mu.Unlock()
}

// TestFFmpegLogIsBounded: a sender repeating a broken frame that FFmpeg
// logs an error for cannot flood the log: a thousand of them make at most
// logBurst lines.
func TestFFmpegLogIsBounded(t *testing.T) {
	var h countHandler
	countFFmpegLines(t, &h)
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
	// FFmpeg complains about every one of them: the first logBurst pass.
	if n := h.n.Load(); n != logBurst {
		t.Errorf("%d log records for 1000 broken frames, want %d (the burst, then silence)", n, logBurst)
	}
}

// TestDamagedIVFFrameSize: an IVF frame whose size field was damaged
// upwards takes the rest of the file as its packet. The reader counts it
// as damaged (it had said nothing: the clip just ended), and FFmpeg's
// complaint, written in two calls, is logged as one line, not as a line
// and a "." after it.
func TestDamagedIVFFrameSize(t *testing.T) {
	const damagedFrame = 40
	path := mediatest.DamageIVFSize(t, mediatest.TestdataPath(t, "p01.ivf"), damagedFrame, 0x40000000)
	h := &levelHandler{}
	countFFmpegLines(t, &countHandler{}) // a limiter window of its own
	SetLogger(slog.New(h))
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	n := 0
	for {
		_, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != damagedFrame+1 || in.Damaged(Video) != 1 {
		t.Errorf("%d packets read, %d damaged; want %d, the last damaged", n, in.Damaged(Video), damagedFrame+1)
	}
	lines := h.take()
	joined := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "WARN Packet corrupt") && strings.HasSuffix(l, ").") {
			joined++
		}
		if l == "WARN ." {
			t.Errorf("a line's end logged on its own: %q", lines)
		}
	}
	if joined != 1 {
		t.Errorf("FFmpeg's lines %q: want one \"Packet corrupt (...).\"", lines)
	}
}

// levelHandler keeps FFmpeg's lines as "LEVEL text".
type levelHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *levelHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "ffmpeg" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "msg" {
			h.mu.Lock()
			h.lines = append(h.lines, r.Level.String()+" "+a.Value.String())
			h.mu.Unlock()
		}
		return true
	})
	return nil
}
func (h *levelHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelHandler) WithGroup(string) slog.Handler      { return h }

// take returns the lines logged since the last take, in a limiter window
// of their own from then on.
func (h *levelHandler) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lines
	h.lines = nil
	ffmpegLines.mu.Lock()
	ffmpegLines.start, ffmpegLines.n, ffmpegLines.held = time.Now(), 0, 0
	ffmpegLines.mu.Unlock()
	return l
}

// TestFFmpegLogLineJoining: a line FFmpeg writes in several av_log calls
// is logged whole, at the most severe level of its parts, and its level
// does not pass to the next; a line longer than the buffer is cut and the
// next starts clean; a message without its '\n' followed by another
// context's is logged as it is, not glued to the next.
func TestFFmpegLogLineJoining(t *testing.T) {
	runtime.LockOSThread() // a line is held by its thread
	defer runtime.UnlockOSThread()
	h := &levelHandler{}
	countFFmpegLines(t, &countHandler{})
	SetLogger(slog.New(h))
	long := strings.Repeat("a", 2000)
	type part struct {
		ctx, level int
		s          string
	}
	for _, c := range []struct {
		name  string
		parts []part
		want  []string
	}{
		{"two parts", []part{{0, avLogWarning, "Packet corrupt (x)"}, {0, avLogWarning, ".\n"}}, []string{"WARN Packet corrupt (x)."}},
		{"the most severe part", []part{{0, avLogWarning, "first "}, {0, avLogError, "second\n"}}, []string{"ERROR first second"}},
		{"a level kept to its line", []part{{0, avLogError, "an error\n"}, {0, avLogWarning, "a warn"}, {0, avLogWarning, "ing\n"}}, []string{"ERROR an error", "WARN a warning"}},
		{"a long line cut, the next clean", []part{{0, avLogWarning, long + "\n"}, {0, avLogWarning, "next\n"}}, []string{"WARN " + long[:1023], "WARN next"}},
		{"a long second part", []part{{0, avLogWarning, long[:1000]}, {0, avLogWarning, long[:100] + "\n"}, {0, avLogWarning, "next\n"}}, []string{"WARN " + long[:1023], "WARN next"}},
		{"full, then its end", []part{{0, avLogWarning, long[:1023]}, {0, avLogWarning, "\n"}, {0, avLogWarning, "next\n"}}, []string{"WARN " + long[:1023], "WARN next"}},
		{"one past full", []part{{0, avLogWarning, long[:1024]}, {0, avLogWarning, "next\n"}}, []string{"WARN " + long[:1023], "WARN next"}},
		{"empty parts", []part{{0, avLogWarning, ""}, {0, avLogWarning, "x\n"}, {0, avLogError, ""}, {0, avLogWarning, "y\n"}}, []string{"WARN x", "WARN y"}},
		{"a level not logged", []part{{0, avLogInfo, "info\n"}, {0, avLogWarning, "w\n"}}, []string{"WARN w"}},
		{"no end, another context", []part{{1, avLogWarning, "a message without its end"}, {2, avLogError, "an unrelated error\n"}},
			[]string{"WARN a message without its end", "ERROR an unrelated error"}},
		{"no end, the same context", []part{{1, avLogWarning, "Packet corrupt"}, {1, avLogWarning, ".\n"}, {2, avLogWarning, "next\n"}},
			[]string{"WARN Packet corrupt.", "WARN next"}},
	} {
		for _, p := range c.parts {
			logThrough(p.ctx, p.level, p.s)
		}
		if got := h.take(); !slices.Equal(got, c.want) {
			t.Errorf("%s: logged %d lines %.80q, want %.80q", c.name, len(got), got, c.want)
		}
	}
}
