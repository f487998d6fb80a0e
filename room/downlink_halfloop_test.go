package room

import (
	"testing"
	"time"
)

// TestDownlinkHalvesInClosedLoop runs the receivers' estimates (as
// watchVideoFeedback wires them) and the downlink together against links
// of fixed capacity, the encoder sending what it is set to: one receiver
// on a 500 kbit/s link among two on fast links is far below what the
// others can take, and should be halved, the composite then going well
// above its link. The estimates of the others are never more than
// downlinkTried times the composite's bitrate, which the slow receiver
// holds: measured against them, it never looks far below.
func TestDownlinkHalvesInClosedLoop(t *testing.T) {
	const floor, ceiling = 300_000, 1_500_000
	links := map[string]int{"slow": 500_000, "a": 5_000_000, "b": 5_000_000}
	r := newHalfRig(t, floor, ceiling, "slow", "a", "b")
	ests := map[string]*downlinkEstimate{}
	for id := range links {
		ests[id] = newDownlinkEstimate(floor/2, ceiling)
	}
	for range 60 {
		r.now = r.now.Add(time.Second)
		for id, link := range links {
			got := r.bitrate
			if r.halves[id] {
				got /= 2
			}
			lost := uint8(0)
			if got > link {
				lost = uint8(255 * (got - link) / got)
			}
			e := ests[id]
			e.sent = func() int { return got }
			e.report(r.now, lost, got)
			r.d.update(id, e.value())
		}
	}
	if !r.halves["slow"] || r.bitrate < 800_000 {
		t.Errorf("after 60 s: halves %v, composite at %d bit/s; want slow halved and the composite at 800 kbit/s or more", r.halves, r.bitrate)
	}
	if r.halves["a"] || r.halves["b"] {
		t.Errorf("a fast receiver halved: %v", r.halves)
	}
}
