// Package lograte keeps log lines that a peer or a client can cause as
// often as it likes from filling the log.
package lograte

import (
	"sync"
	"time"
)

// Limiter lets Burst lines through at once, then one per Interval, and
// counts those it holds back. The zero Limiter holds back every line; set
// Burst and Interval. Safe from several goroutines.
type Limiter struct {
	Burst    int
	Interval time.Duration

	mu      sync.Mutex
	started bool
	tokens  float64
	last    time.Time
	dropped int
}

// Allow takes a line at now: ok tells whether it may be logged, and then
// dropped how many lines were held back since the last one let through.
func (l *Limiter) Allow(now time.Time) (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		l.started, l.tokens = true, float64(l.Burst)
	} else if l.Interval > 0 { // none refills nothing (0/0 would make a NaN that lets all through)
		l.tokens = min(float64(l.Burst), l.tokens+float64(now.Sub(l.last))/float64(l.Interval))
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false, 0
	}
	l.tokens--
	dropped, l.dropped = l.dropped, 0
	return true, dropped
}

// Dropped returns how many lines were held back since the last one let
// through, and forgets them: for a last word when no further line will
// come.
func (l *Limiter) Dropped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	dropped := l.dropped
	l.dropped = 0
	return dropped
}
