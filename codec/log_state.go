package codec

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ffmpegLogger receives FFmpeg's own log lines; see SetLogger.
var ffmpegLogger atomic.Pointer[slog.Logger]

// FFmpeg logs a line for every bad packet it is given, as often as a
// sender sends one: ffmpegLines lets through at most logBurst of its lines
// per logWindow, and how many were held back is logged when the window
// ends.
var ffmpegLines logLimiter

const (
	logWindow = 10 * time.Second
	logBurst  = 20
)

type logLimiter struct {
	mu    sync.Mutex
	start time.Time  // of the current window
	n     int        // lines let through in it
	held  int        // lines held back, not reported yet
	level slog.Level // the highest of theirs
}

// allow reports whether a line of level at now may be logged. For the
// first line it holds back in a window it also returns when that window
// ends, > 0: the caller then reports the lines held back (take) then.
func (l *logLimiter) allow(now time.Time, level slog.Level) (ok bool, reportIn time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= logWindow {
		l.start, l.n = now, 0
	}
	if l.n < logBurst {
		l.n++
		return true, 0
	}
	if l.held++; l.held == 1 {
		l.level = level
		return false, max(l.start.Add(logWindow).Sub(now), time.Millisecond)
	}
	l.level = max(l.level, level)
	return false, 0
}

// take returns how many lines were held back since it was last called,
// and the highest level among them.
func (l *logLimiter) take() (int, slog.Level) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.held
	l.held = 0
	return n, l.level
}
