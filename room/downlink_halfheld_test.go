package room

import (
	"testing"
	"time"
)

// TestDownlinkHalvedReceiverNotHeldByAnother: a receiver of VP8 on a poor
// link is halved; then a receiver of H.264 (never halved) falls to the
// floor, holding the composite there, and the first one's link recovers.
// Halving it gains nobody anything now, and its link takes every frame:
// it should get every frame again, not stay halved for as long as the
// other holds the composite at the floor.
func TestDownlinkHalvedReceiverNotHeldByAnother(t *testing.T) {
	const floor, ceiling = 300_000, 1_500_000
	links := map[string]int{"vp8": 200_000, "h264": 5_000_000, "a": 5_000_000, "b": 5_000_000}
	r := newHalfRig(t, floor, ceiling, "vp8", "a", "b")
	ests := map[string]*downlinkEstimate{}
	for id := range links {
		ests[id] = newDownlinkEstimate(floor, ceiling)
	}
	step := func() {
		r.now = r.now.Add(time.Second)
		for _, id := range []string{"vp8", "h264", "a", "b"} {
			e, got := ests[id], r.bitrate
			e.floor = floor
			if r.halves[id] {
				got /= 2
				e.floor = floor / 2
			}
			lost := uint8(0)
			if got > links[id] {
				lost = uint8(255 * (got - links[id]) / got)
			}
			e.sent = func() int { return got }
			e.report(r.now, lost, got)
			r.d.update(id, e.value())
		}
	}
	for range 20 {
		step()
	}
	if !r.halves["vp8"] {
		t.Fatalf("the receiver on a poor link not halved: %v", r.halves)
	}
	links["h264"] = 250_000
	links["vp8"] = 5_000_000
	for range 120 {
		step()
	}
	if r.halves["vp8"] || r.layered {
		t.Errorf("2 min after its link recovered, with the composite held at %d by another: halved %v, layered %v, estimate %d",
			r.bitrate, r.halves["vp8"], r.layered, ests["vp8"].value())
	}
}
