package client

import "testing"

// TestWholePictures: a picture counts whole once every packet from the
// previous marker to its own has come, a resend too; one with a packet
// never resent does not; a marker lost and resent splits what was taken
// for one picture into its two.
func TestWholePictures(t *testing.T) {
	var w wholePictures
	// Picture 0 ends at 10 (its marker starts the count), 1 is 11..13,
	// 2 is 14..16 with 15 lost, 3 is 17..19.
	for _, p := range []struct {
		seq    uint16
		marker bool
	}{{10, true}, {11, false}, {12, false}, {13, true}, {14, false}, {16, true}, {17, false}, {18, false}, {19, true}} {
		w.add(p.seq, p.marker)
	}
	if w.whole != 2 {
		t.Fatalf("%d whole pictures, want 2 (the one missing 15 not)", w.whole)
	}
	w.add(15, false) // its resend
	if w.whole != 3 {
		t.Errorf("%d whole pictures after the resend, want 3", w.whole)
	}
	// 20..22 and 23..25, 22 (a marker) lost: 20..25 waits as one.
	for _, s := range []uint16{20, 21, 23, 24} {
		w.add(s, false)
	}
	w.add(25, true)
	if w.whole != 3 {
		t.Errorf("%d whole pictures with a marker missing, want 3", w.whole)
	}
	w.add(22, true) // the marker resent: two pictures, both whole
	if w.whole != 5 {
		t.Errorf("%d whole pictures after the marker's resend, want 5", w.whole)
	}
	// Sequence numbers wrap.
	var v wholePictures
	for s, n := uint16(65533), 0; n < 6; s, n = s+1, n+1 {
		v.add(s, true)
	}
	if v.whole != 5 {
		t.Errorf("%d whole pictures across the wrap, want 5", v.whole)
	}
}
