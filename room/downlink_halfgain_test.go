package room

import "testing"

// TestDownlinkNoHalvingWhileTheMixIsHeldByAnother: one receiver on half
// rate holds the composite at the floor, the others at their tried cap
// (1.5 times it). One of those reports a loss once, its estimate falling
// to the composite's bitrate: it is not halved, since the composite is
// held where it is by the slow receiver and would not rise; it would be
// sent half the frames until the slow one's link came back.
func TestDownlinkNoHalvingWhileTheMixIsHeldByAnother(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "a", "b", "c")
	r.reports(map[string]int{"slow": 400_000, "a": 1_500_000, "b": 1_500_000, "c": 1_500_000})
	for range 5 {
		r.reports(map[string]int{"slow": 150_000, "a": 450_000, "b": 450_000, "c": 450_000})
	}
	if !r.halves["slow"] || r.bitrate != 300_000 {
		t.Fatalf("halves %v, composite at %d; want slow halved, the floor", r.halves, r.bitrate)
	}
	r.reports(map[string]int{"slow": 150_000, "a": 450_000, "b": 450_000, "c": 300_000})
	if r.halves["c"] {
		t.Errorf("a receiver that lost once halved while the composite is held at the floor by another: %v", r.halves)
	}
}
