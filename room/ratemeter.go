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
	base    time.Time           // when the first bytes came: tenths count from it, on the monotonic clock
	slot    int64               // the tenth of the latest bytes added, or the latest asked about
}

const (
	rateTenths = 10
	rateTenth  = time.Second / rateTenths
)

// add counts n bytes sent at now.
func (m *rateMeter) add(n int, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.base.IsZero() {
		m.base = now
	}
	t := m.tenth(now)
	m.advance(t)
	m.buckets[t%int64(len(m.buckets))] += n
}

// tenth is now's tenth of a second since base, never before the latest
// one seen (times taken before the lock, or a clock that went back);
// m.mu is held.
func (m *rateMeter) tenth(now time.Time) int64 {
	return max(int64(now.Sub(m.base)/rateTenth), m.slot)
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
	if m.base.IsZero() {
		return 0
	}
	t := m.tenth(now)
	if t < rateTenths {
		return 0
	}
	m.advance(t)
	sum := 0
	for s := t - rateTenths; s < t; s++ {
		sum += m.buckets[s%int64(len(m.buckets))]
	}
	return sum * 8
}
