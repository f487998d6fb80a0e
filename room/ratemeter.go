package room

import (
	"sync"
	"time"
)

// rateMeter measures a bitrate over the last whole second, in tenths:
// what the composite's encoder really sends, which for a still picture is
// far under its target. Safe from any goroutine.
type rateMeter struct {
	mu      sync.Mutex
	buckets [rateTenths + 1]int // bytes per tenth of a second, by slot; one more for the tenth under way
	slot    int64               // the tenth of the latest bytes added
	first   int64               // the tenth of the first bytes added, +1 (0: none yet)
}

const (
	rateTenths = 10
	rateTenth  = time.Second / rateTenths
)

// add counts n bytes sent at now.
func (m *rateMeter) add(n int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := now.UnixNano() / int64(rateTenth)
	m.advance(t)
	if m.first == 0 {
		m.first = t + 1
	}
	m.buckets[t%int64(len(m.buckets))] += n
}

// advance clears the tenths after the latest up to t; m.mu is held.
func (m *rateMeter) advance(t int64) {
	if t <= m.slot {
		return
	}
	for s := max(m.slot+1, t-int64(len(m.buckets))+1); s <= t; s++ {
		m.buckets[s%int64(len(m.buckets))] = 0
	}
	m.slot = t
}

// bps is the bitrate over the ten whole tenths before now's, or 0 until
// they have all been measured.
func (m *rateMeter) bps(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := now.UnixNano() / int64(rateTenth)
	if m.first == 0 || t-(m.first-1) < rateTenths {
		return 0
	}
	m.advance(t)
	sum := 0
	for s := t - rateTenths; s < t; s++ {
		sum += m.buckets[s%int64(len(m.buckets))]
	}
	return sum * 8
}
