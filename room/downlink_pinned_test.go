package room

import (
	"testing"
	"time"
)

// TestDownlinkRepeatedCutKeepsToWhatIsSent: a second report of the same
// loss event (within downlinkCutGap) cuts nothing more, but still keeps
// the estimate within a half more than what is sent: the mix held down
// for another receiver meanwhile, the lossy one must not hold an estimate
// it was never tried at, which the mix would jump to when the other
// leaves.
func TestDownlinkRepeatedCutKeepsToWhatIsSent(t *testing.T) {
	d := newDownlinkEstimate(100_000, 1_000_000)
	t0 := time.Unix(1000, 0)
	d.report(t0, 128, 1_000_000) // 25 % off: 750 kbit/s
	d.report(t0.Add(100*time.Millisecond), 128, 300_000)
	if got, want := d.value(), 450_000; got != want {
		t.Errorf("the event reported again while 300 kbit/s is sent: %d, want %d (1.5 times what is sent)", got, want)
	}
}

// TestDownlinkFirstCleanReportDoesNotGrow: a receiver's first report
// without loss grows nothing (there is no time since a last report): it
// is kept within a half more than what is sent, as one with a little loss
// is (TestDownlinkGrowsFromWhatIsSent).
func TestDownlinkFirstCleanReportDoesNotGrow(t *testing.T) {
	d := newDownlinkEstimate(300_000, 1_500_000)
	d.report(time.Unix(1000, 0), 0, 300_000)
	if got, want := d.value(), 450_000; got != want {
		t.Errorf("a new receiver's first report without loss while 300 kbit/s is sent: %d, want %d", got, want)
	}
}

// TestDownlinkNeedNotLearntWhileHeldDown: what the pictures need is
// measured while the composite is at the configured bitrate only. A busy
// picture sends whatever it is given: measured while everyone's links held
// the mix at 500 kbit/s, the need would fall to 500 kbit/s, and once two
// of three links recover the one still at 500 kbit/s would hold everyone
// there, where halving it lets the others have twice as much.
func TestDownlinkNeedNotLearntWhileHeldDown(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "a", "b")
	r.d.sent = func() int { return r.bitrate } // a busy picture: it spends its target
	r.reports(map[string]int{"slow": 1_500_000, "a": 1_500_000, "b": 1_500_000})
	for range 30 {
		r.reports(map[string]int{"slow": 500_000, "a": 500_000, "b": 500_000})
	}
	if r.bitrate != 500_000 || r.halves["slow"] {
		t.Fatalf("everyone at 500 kbit/s: composite %d, slow halved %v; want 500000, no", r.bitrate, r.halves["slow"])
	}
	r.reports(map[string]int{"slow": 500_000, "a": 1_500_000, "b": 1_500_000})
	if !r.halves["slow"] || r.bitrate != 1_000_000 {
		t.Errorf("two links back at 1.5 Mbit/s, one at 500 kbit/s: slow halved %v, composite %d; want halved, 1000000", r.halves["slow"], r.bitrate)
	}
}

// TestDownlinkNeedIsNoMoreThanTheOthers: what a busy picture sends at the
// configured bitrate does not make the many slower receivers look slow:
// nine participants at 700 kbit/s and a viewer at 1.5 Mbit/s, the
// pictures sending the whole 1.5 Mbit/s, none of the nine is halved (the
// measure is the lowest of the upper half of the estimates, at most).
func TestDownlinkNeedIsNoMoreThanTheOthers(t *testing.T) {
	nineAlikeNotHalved(t, func() int { return 1_500_000 }, ", the pictures busy")
}

// TestDownlinkHalfRateHoldDoublesUpTo80s: a receiver halved again 10 s
// after it was given every frame (within 20 s: the link took the half but
// not the whole) waits twice as long each time, 10, 20, 40, then 80 s,
// and never longer than 80 s.
func TestDownlinkHalfRateHoldDoublesUpTo80s(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "fast")
	report := func(slow int) { r.reports(map[string]int{"slow": slow, "fast": 1_500_000}) }
	report(400_000)
	if !r.halves["slow"] {
		t.Fatal("not halved")
	}
	wholeAfter := func() int {
		for i := 1; i <= 400; i++ {
			report(950_000)
			if !r.halves["slow"] {
				return i
			}
		}
		return -1
	}
	if n := wholeAfter(); n != 6 {
		t.Fatalf("first try: every frame again after %d reports, want 6 (5 s held)", n)
	}
	for _, want := range []int{11, 21, 41, 81, 81, 81} {
		for range 9 { // every frame for 10 s, then halved again
			report(950_000)
		}
		report(600_000)
		if !r.halves["slow"] {
			t.Fatal("not halved again at 40 %")
		}
		if n := wholeAfter(); n != want {
			t.Errorf("halved again 10 s after a try: every frame again after %d reports, want %d (%d s held)", n, want, want-1)
		}
	}
}

// TestDownlinkTwoSlowReceiversHalvedWhenOthersJoin: two receivers at
// 400 kbit/s, the more of three and so not halved, become the fewer when
// two more at 1.5 Mbit/s join: both are then halved together, each
// counting the other at twice its estimate (about to be halved too), and
// the composite rises to 800 kbit/s. Counted at its estimate, each would
// hold the other, and the three fast ones, at 400 kbit/s for good.
func TestDownlinkTwoSlowReceiversHalvedWhenOthersJoin(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "s1", "s2", "f1", "f2", "f3")
	for range 8 {
		r.reports(map[string]int{"s1": 400_000, "s2": 400_000, "f1": 1_500_000})
	}
	if r.halves["s1"] || r.halves["s2"] || r.bitrate != 400_000 {
		t.Fatalf("two slow of three: halves %v, composite %d; want none, 400000", r.halves, r.bitrate)
	}
	for range 3 {
		r.reports(map[string]int{"s1": 400_000, "s2": 400_000, "f1": 1_500_000, "f2": 1_500_000, "f3": 1_500_000})
	}
	if !r.halves["s1"] || !r.halves["s2"] || r.bitrate != 800_000 {
		t.Errorf("two slow of five: halves %v, composite %d; want s1 and s2, 800000", r.halves, r.bitrate)
	}
}
