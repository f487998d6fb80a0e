package room

import "testing"

// TestDownlinkNoHalvingUnderAnH264Receiver: a receiver of H.264 (which
// cannot be halved) holds the composite at 500 kbit/s; a receiver of VP8
// at 600 kbit/s among two fast ones is not halved: the composite cannot
// rise above the H.264 receiver's estimate, and it would lose half its
// frames for nobody's gain.
func TestDownlinkNoHalvingUnderAnH264Receiver(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "vp8", "a", "b")
	r.reports(map[string]int{"h264": 500_000, "vp8": 1_500_000, "a": 1_500_000, "b": 1_500_000})
	for range 5 {
		r.reports(map[string]int{"h264": 500_000, "vp8": 600_000, "a": 750_000, "b": 750_000})
	}
	if r.bitrate != 500_000 {
		t.Fatalf("composite at %d, want 500000 (the H.264 receiver's)", r.bitrate)
	}
	if r.halves["vp8"] || r.layered {
		t.Errorf("halves %v, layered %v: a VP8 receiver halved under an H.264 receiver that holds the composite lower", r.halves, r.layered)
	}
}
