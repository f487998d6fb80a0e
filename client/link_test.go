package client

import (
	"testing"
	"time"
)

// TestCapVideoPassesTheLinkRate: packets offered at twice a link's rate
// get through at about its rate, once its queue (150 ms) is full; offered
// under its rate, all get through.
func TestCapVideoPassesTheLinkRate(t *testing.T) {
	now := time.Unix(0, 0)
	for _, tc := range []struct {
		offered, link int // bit/s
		want          float64
	}{{1_000_000, 500_000, 500_000}, {400_000, 500_000, 400_000}} {
		c := &capVideo{bps: tc.link, now: func() time.Time { return now }}
		const size = 1000 // bytes
		gap := time.Duration(float64(time.Second) * 8 * size / float64(tc.offered))
		passed := 0
		const run = 10 * time.Second
		for at := time.Duration(0); at < run; at += gap {
			now = time.Unix(0, 0).Add(at)
			if c.fits(size) {
				passed++
			}
		}
		got := float64(passed*8*size) / run.Seconds()
		// What the queue held at the start comes on top: 150 ms of the link
		// over 10 s.
		if got < tc.want*0.97 || got > tc.want*1.03 {
			t.Errorf("%d bit/s offered to a %d bit/s link: %.0f bit/s passed, want about %.0f", tc.offered, tc.link, got, tc.want)
		}
	}
}
