package room

import "testing"

// TestDownlinkStaleHalvedReceiverGetsEveryFrame: a halved receiver whose
// reports stop no longer counts after downlinkStale, as any receiver's
// estimate; it is not left on half rate, nor the encoder making droppable
// frames for everyone, for as long as it stays connected.
func TestDownlinkStaleHalvedReceiverGetsEveryFrame(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "fast")
	r.reports(map[string]int{"slow": 400_000, "fast": 1_500_000})
	if !r.halves["slow"] || !r.layered {
		t.Fatal("not halved")
	}
	for range 12 { // the slow receiver's reports stop
		r.reports(map[string]int{"fast": 1_500_000})
	}
	if r.halves["slow"] || r.layered || r.d.halved("slow") {
		t.Errorf("12 s after its last report: halved %v, layered %v; want every frame, no layers", r.halves["slow"], r.layered)
	}
}
