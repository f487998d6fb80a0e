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
// per logWindow, and the first line of a later window says how many were
// held back.
var ffmpegLines logLimiter

const (
	logWindow = 10 * time.Second
	logBurst  = 20
)

type logLimiter struct {
	mu    sync.Mutex
	start time.Time // of the current window
	n     int       // lines let through in it
	held  int       // lines held back since the last let through
}

// allow reports whether a line at now may be logged and, if so, how many
// were held back before it.
func (l *logLimiter) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= logWindow {
		l.start, l.n = now, 0
	}
	if l.n >= logBurst {
		l.held++
		return false, 0
	}
	l.n++
	held := l.held
	l.held = 0
	return true, held
}
