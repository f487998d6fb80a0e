package room

import (
	"testing"
	"time"
)

// TestRateMeter: the bitrate of the last ten whole tenths of a second,
// unknown (0) until that much has been measured, and falling to 0 when
// nothing more is sent.
func TestRateMeter(t *testing.T) {
	var m rateMeter
	start := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	// 30 frames a second of 2500 bytes: 600 kbit/s.
	for i := range 60 {
		now := at(time.Duration(i) * time.Second / 30)
		m.add(2500, now)
		if got := m.bps(now); i < 30 && got != 0 {
			t.Fatalf("frame %d: %d bit/s before a whole second was measured", i, got)
		}
	}
	if got := m.bps(at(2 * time.Second)); got < 590_000 || got > 610_000 {
		t.Errorf("%d bit/s, want 600000", got)
	}
	// The tenth under way does not count: at 2.05 s the second is still
	// 1.0-2.0 s.
	m.add(1_000_000, at(2050*time.Millisecond))
	if got := m.bps(at(2050 * time.Millisecond)); got > 610_000 {
		t.Errorf("%d bit/s: the tenth under way counted", got)
	}
	if got := m.bps(at(5 * time.Second)); got != 0 {
		t.Errorf("%d bit/s three seconds after the last bytes, want 0", got)
	}
}
