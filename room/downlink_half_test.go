package room

import (
	"sync"
	"testing"
	"time"
)

// halfRig is a downlink with a fake clock, recording what it sets.
type halfRig struct {
	d       *downlink
	now     time.Time
	mu      sync.Mutex
	bitrate int
	layered bool
	halves  map[string]bool
}

func newHalfRig(t *testing.T, floor, ceiling int, halvable ...string) *halfRig {
	t.Helper()
	r := &halfRig{now: time.Unix(1_000_000, 0), bitrate: ceiling, halves: map[string]bool{}}
	r.d = newDownlink(floor, ceiling, func(bps int) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.bitrate = bps
		return nil
	})
	r.d.now = func() time.Time { return r.now }
	r.d.layers = func(on bool) { r.layered = on }
	for _, id := range halvable {
		r.d.halvable(id, func(on bool) { r.halves[id] = on })
	}
	t.Cleanup(r.d.stop)
	return r
}

// reports has each receiver report its estimate once, a second apart
// from the last round.
func (r *halfRig) reports(est map[string]int) {
	r.now = r.now.Add(time.Second)
	for id, bps := range est {
		r.d.update(id, bps)
	}
}

// TestDownlinkHalvesAReceiverFarBelowTheOthers: one receiver that can take
// 400 kbit/s among others that take 1.5 Mbit/s is sent every second frame,
// and the composite is held to twice its estimate (800 kbit/s), not to its
// estimate, as it was before; the encoder is told to make frames it can be
// left. With nobody that low, or alone, nobody is halved.
func TestDownlinkHalvesAReceiverFarBelowTheOthers(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "a", "b")
	r.reports(map[string]int{"slow": 400_000, "a": 1_500_000, "b": 1_500_000})
	if !r.halves["slow"] || r.halves["a"] || r.halves["b"] {
		t.Fatalf("halves %v, want slow alone", r.halves)
	}
	if !r.layered {
		t.Error("the encoder was not told to make frames a receiver may be left")
	}
	if r.bitrate != 800_000 {
		t.Errorf("composite at %d bit/s, want 800000 (twice the halved receiver's estimate)", r.bitrate)
	}
	if !r.d.halved("slow") || r.d.halved("a") {
		t.Error("halved does not tell who is on half rate")
	}

	// Everyone at 400 kbit/s: the composite follows them, all frames.
	r2 := newHalfRig(t, 300_000, 1_500_000, "x", "y")
	r2.reports(map[string]int{"x": 400_000, "y": 420_000})
	if r2.halves["x"] || r2.halves["y"] || r2.layered || r2.bitrate != 400_000 {
		t.Errorf("equal receivers: halves %v, layered %v, bitrate %d; want none, false, 400000", r2.halves, r2.layered, r2.bitrate)
	}
	// A receiver alone is never halved: there is nobody to spare.
	r3 := newHalfRig(t, 300_000, 1_500_000, "alone")
	r3.reports(map[string]int{"alone": 200_000})
	if r3.halves["alone"] || r3.bitrate != 300_000 {
		t.Errorf("a lone receiver: halved %v, bitrate %d; want false, the floor", r3.halves["alone"], r3.bitrate)
	}
}

// TestDownlinkHalvesTwoSlowReceivers: two receivers equally slow do not
// hold each other on every frame when they are the fewer (each is far
// below the others'); when they are the more, nobody is halved: the many
// are not sent half the frames for the few.
func TestDownlinkHalvesTwoSlowReceivers(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "s1", "s2", "f1", "f2", "f3")
	r.reports(map[string]int{"s1": 400_000, "s2": 400_000, "f1": 1_500_000, "f2": 1_500_000, "f3": 1_500_000})
	if !r.halves["s1"] || !r.halves["s2"] || r.halves["f1"] || r.halves["f2"] || r.halves["f3"] {
		t.Fatalf("halves %v, want s1 and s2", r.halves)
	}
	if r.bitrate != 800_000 {
		t.Errorf("composite at %d, want 800000", r.bitrate)
	}

	// Nine participants at 700 kbit/s and one viewer at 1.5 Mbit/s: all
	// nine would be halved for the one, were the viewer the measure.
	nineAlikeNotHalved(t, nil, "")
	// Two slow among three: the two are the more.
	r3 := newHalfRig(t, 300_000, 1_500_000, "s1", "s2", "fast")
	for range 8 {
		r3.reports(map[string]int{"s1": 400_000, "s2": 400_000, "fast": 1_500_000})
	}
	if r3.halves["s1"] || r3.halves["s2"] || r3.bitrate != 400_000 {
		t.Errorf("two slow of three: halves %v, composite %d; want none, 400000", r3.halves, r3.bitrate)
	}
}

// TestDownlinkH264ReceiverIsNotHalved: a receiver that cannot be left
// frames (H.264) holds the composite to its estimate, as before.
func TestDownlinkH264ReceiverIsNotHalved(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "a") // "h264" not halvable
	r.reports(map[string]int{"h264": 400_000, "a": 1_500_000})
	if r.bitrate != 400_000 || r.layered {
		t.Errorf("composite at %d, layered %v; want 400000 and no layers", r.bitrate, r.layered)
	}
}

// TestDownlinkHalfRateBackToEveryFrame: a halved receiver whose estimate
// (of the half it is sent) reaches 60 % of the others' gets every
// frame again only once that has held for 5 s; halved again within 20 s,
// it waits twice as long the next time; once no one is halved the encoder
// makes ordinary frames again.
func TestDownlinkHalfRateBackToEveryFrame(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "fast")
	r.reports(map[string]int{"slow": 400_000, "fast": 1_500_000})
	if !r.halves["slow"] {
		t.Fatal("not halved")
	}
	// 800 kbit/s (≥ 60 % of 1.5 M is 900: not yet enough) holds it.
	for range 10 {
		r.reports(map[string]int{"slow": 800_000, "fast": 1_500_000})
	}
	if !r.halves["slow"] {
		t.Fatal("given every frame back at 53 % of the others' estimate")
	}
	wholeAfter := func(bps int) int {
		for i := 1; i <= 120; i++ {
			r.reports(map[string]int{"slow": bps, "fast": 1_500_000})
			if !r.halves["slow"] {
				return i
			}
		}
		return -1
	}
	// Enough from the first report on: 5 s later, every frame.
	if n := wholeAfter(950_000); n != 6 {
		t.Fatalf("every frame again after %d reports a second apart, want 6 (5 s held)", n)
	}
	if r.layered {
		t.Error("nobody halved, but the encoder still makes frames to leave out")
	}
	if r.bitrate != 950_000 {
		t.Errorf("composite at %d, want 950000 (the receiver's estimate)", r.bitrate)
	}
	// It could not take it: halved again 3 s later, it now waits 10 s.
	r.reports(map[string]int{"slow": 700_000, "fast": 1_500_000})
	r.reports(map[string]int{"slow": 700_000, "fast": 1_500_000})
	r.reports(map[string]int{"slow": 600_000, "fast": 1_500_000})
	if !r.halves["slow"] {
		t.Fatal("not halved again at 40 %")
	}
	if n := wholeAfter(950_000); n != 11 {
		t.Errorf("after a failed try, every frame again after %d reports, want 11 (10 s held)", n)
	}
	// Taking every frame for 25 s, then halved: the next try is a first
	// one again (5 s); a dip under 60 % meanwhile restarts the hold.
	for range 25 {
		r.reports(map[string]int{"slow": 950_000, "fast": 1_500_000})
	}
	if r.halves["slow"] {
		t.Fatal("halved at 63 %")
	}
	r.reports(map[string]int{"slow": 600_000, "fast": 1_500_000})
	if !r.halves["slow"] {
		t.Fatal("not halved at 40 %")
	}
	r.reports(map[string]int{"slow": 950_000, "fast": 1_500_000})
	r.reports(map[string]int{"slow": 950_000, "fast": 1_500_000})
	r.reports(map[string]int{"slow": 850_000, "fast": 1_500_000}) // under 60 %
	if n := wholeAfter(950_000); n != 6 {
		t.Errorf("after a dip, every frame again after %d reports, want 6 (the hold from the start)", n)
	}
}

// TestDownlinkHalvedReceiverAloneGetsEveryFrame: once the others leave, a
// halved receiver gets every frame at once, and the encoder makes ordinary
// frames.
func TestDownlinkHalvedReceiverAloneGetsEveryFrame(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "fast")
	r.reports(map[string]int{"slow": 400_000, "fast": 1_500_000})
	if !r.halves["slow"] {
		t.Fatal("not halved")
	}
	r.d.forget("fast")
	if r.halves["slow"] || r.layered {
		t.Errorf("alone: halved %v, layered %v; want every frame, no layers", r.halves["slow"], r.layered)
	}
	if r.bitrate != 400_000 {
		t.Errorf("composite at %d, want 400000", r.bitrate)
	}
}

// TestDownlinkReceiverAtItsTriedCapIsNotHalved: a receiver whose estimate
// sits at what it was last tried at (1.5 times the composite's bitrate,
// held low by someone else) has shown no limit of its own: it is taken
// to take the configured bitrate, and is never halved for that low
// estimate, while the slow one is.
func TestDownlinkReceiverAtItsTriedCapIsNotHalved(t *testing.T) {
	r := newHalfRig(t, 160_000, 800_000, "slow", "good")
	// The composite held at the floor by the slow one; the good one's
	// estimate grown a little past 1.5 times that since its last report.
	for range 3 {
		r.reports(map[string]int{"slow": 160_000, "good": 300_000})
	}
	if r.halves["good"] {
		t.Error("the receiver at its tried cap was halved")
	}
	if !r.halves["slow"] {
		t.Error("the slow receiver, under half of what the other may take, was not halved")
	}
}

// TestDownlinkNotHalvedForTheFloorAlone: a receiver held at the floor
// (300 kbit/s) while the pictures need 450 kbit/s is not halved: the mix
// at the floor carries them well enough, and half its frames would be a
// high price for the others' little gain. Once the pictures need over
// twice its estimate, it is.
func TestDownlinkNotHalvedForTheFloorAlone(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "a", "b")
	sent := 450_000
	r.d.sent = func() int { return sent }
	for range 6 { // the mix at the ceiling: what it sends is measured
		r.reports(map[string]int{"slow": 1_500_000, "a": 1_500_000, "b": 1_500_000})
	}
	for range 10 {
		r.reports(map[string]int{"slow": 300_000, "a": 1_500_000, "b": 1_500_000})
	}
	if r.halves["slow"] || r.layered {
		t.Errorf("halved at the floor, the pictures needing 450 kbit/s: halves %v, layered %v", r.halves, r.layered)
	}
	// Busier pictures, measured at the ceiling again.
	sent = 1_400_000
	for range 6 {
		r.reports(map[string]int{"slow": 1_500_000, "a": 1_500_000, "b": 1_500_000})
	}
	r.reports(map[string]int{"slow": 300_000, "a": 1_500_000, "b": 1_500_000})
	if !r.halves["slow"] {
		t.Error("not halved at 300 kbit/s, the pictures needing 1.4 Mbit/s")
	}
}

// nineAlikeNotHalved checks that of nine participants at 700 kbit/s and
// one viewer at 1.5 Mbit/s none is halved, the composite at 700 kbit/s,
// with sent (may be nil) what the pictures send; said tells how in the
// errors.
func nineAlikeNotHalved(t *testing.T, sent func() int, said string) {
	t.Helper()
	ids := []string{"viewer"}
	est := map[string]int{"viewer": 1_500_000}
	for i := range 9 {
		id := string(rune('a' + i))
		ids = append(ids, id)
		est[id] = 700_000
	}
	r := newHalfRig(t, 300_000, 1_500_000, ids...)
	r.d.sent = sent
	for range 8 { // the order of the first reports may halve one for a while
		r.reports(est)
	}
	for id, on := range r.halves {
		if on {
			t.Errorf("%s halved among nine alike and one faster%s", id, said)
		}
	}
	if r.layered || r.bitrate != 700_000 {
		t.Errorf("layered %v, composite at %d; want none and 700000", r.layered, r.bitrate)
	}
}
