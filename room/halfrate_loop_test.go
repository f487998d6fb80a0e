package room

import (
	"testing"
	"time"
)

// slowFast is the whole loop, on a fake clock: the estimates made from
// two receivers' reports (downlinkEstimate, as watchVideoFeedback makes
// them) and the room's downlink. "slow"'s link loses what the mix sends
// it above the link's rate; "fast"'s takes everything.
type slowFast struct {
	d             *downlink
	now           time.Time
	bitrate       int // the mix's, as the downlink last set it
	half, wasHalf bool
	switches      int // of the slow receiver between half and every frame
	slow, fast    *downlinkEstimate
}

const loopFloor, loopCeiling = 150_000, 1_500_000

func newSlowFast(t *testing.T) *slowFast {
	t.Helper()
	l := &slowFast{now: time.Unix(1_000_000, 0), bitrate: loopCeiling}
	l.d = newDownlink(loopFloor, loopCeiling, func(bps int) error { l.bitrate = bps; return nil })
	l.d.now = func() time.Time { return l.now }
	t.Cleanup(l.d.stop)
	l.d.layers = func(bool) {}
	l.d.halvable("slow", func(on bool) {
		if on != l.half {
			l.switches++
		}
		l.half, l.wasHalf = on, l.wasHalf || on
	})
	l.d.halvable("fast", func(bool) {})
	l.slow = newDownlinkEstimate(loopFloor/2, loopCeiling)
	l.slow.sent = func() int { return l.share(l.bitrate) }
	l.fast = newDownlinkEstimate(loopFloor/2, loopCeiling)
	l.fast.sent = func() int { return l.bitrate }
	return l
}

// share is what the slow receiver is sent of a mix of bps.
func (l *slowFast) share(bps int) int {
	if l.half {
		return bps / 2
	}
	return bps
}

// reportSlow has the slow receiver, behind a link of link bit/s, report
// at l.now.
func (l *slowFast) reportSlow(link int) {
	got := l.share(l.bitrate)
	lost := uint8(0)
	if got > link {
		lost = uint8(256 * (got - link) / got)
	}
	l.slow.report(l.now, lost, got)
	l.d.update("slow", l.slow.value())
}

// reportFast has the fast receiver report at l.now.
func (l *slowFast) reportFast() {
	l.fast.report(l.now, 0, l.bitrate)
	l.d.update("fast", l.fast.value())
}

// TestDownlinkHalvesAReceiverWhoseLinkFallsSlowly: one receiver's link
// falls slowly from 1.5 Mbit/s to 250 kbit/s; the other's takes
// everything. Far below the other, the slow one must end up on half rate,
// the mix held to about twice its link, not to its link.
func TestDownlinkHalvesAReceiverWhoseLinkFallsSlowly(t *testing.T) {
	l := newSlowFast(t)
	for s := range 120 {
		link := max(250_000, loopCeiling-s*25_000)
		for range 2 {
			l.now = l.now.Add(500 * time.Millisecond)
			l.reportSlow(link)
		}
		l.reportFast()
	}
	t.Logf("slow: estimate %d, half %v (%d switches); fast: estimate %d; mix %d", l.slow.value(), l.half, l.switches, l.fast.value(), l.bitrate)
	if l.switches > 1 {
		t.Errorf("the slow receiver switched %d times, want once", l.switches)
	}
	if !l.half {
		t.Errorf("the slow receiver (link 250 kbit/s, the other's unlimited) is not on half rate; the mix is held at %d bit/s", l.bitrate)
	}
}

// TestDownlinkHalfRateLoopRecovers: the same loop, the slow link cut to
// 250 kbit/s at once for a minute, then whole again: the receiver is
// halved, then given every frame again, and the mix returns to the top.
func TestDownlinkHalfRateLoopRecovers(t *testing.T) {
	l := newSlowFast(t)
	for s := range 240 {
		link := 10_000_000
		if s >= 10 && s < 70 {
			link = 250_000
		}
		l.now = l.now.Add(time.Second)
		l.reportSlow(link)
		l.reportFast()
		if s == 69 {
			t.Logf("cut: slow %d half %v, fast %d, mix %d", l.slow.value(), l.half, l.fast.value(), l.bitrate)
		}
	}
	t.Logf("end: slow %d half %v, fast %d, mix %d", l.slow.value(), l.half, l.fast.value(), l.bitrate)
	if !l.wasHalf || l.half || l.bitrate < loopCeiling*9/10 {
		t.Errorf("halved %v, half at the end %v, mix %d; want halved, then every frame at about %d", l.wasHalf, l.half, l.bitrate, loopCeiling)
	}
}

// TestDownlinkHalvedReceiverLeaving: when the receiver on half rate
// leaves, the encoder goes back to ordinary frames (the pattern costs
// everyone, and the recording, some efficiency) and the composite to the
// others' estimate.
func TestDownlinkHalvedReceiverLeaving(t *testing.T) {
	r := newHalfRig(t, 300_000, 1_500_000, "slow", "fast")
	r.reports(map[string]int{"slow": 400_000, "fast": 1_500_000})
	if !r.halves["slow"] || !r.layered {
		t.Fatal("not halved")
	}
	r.d.forget("slow")
	if r.layered || r.bitrate != 1_500_000 {
		t.Errorf("the halved receiver gone: layered %v, composite at %d; want no layers, 1500000", r.layered, r.bitrate)
	}
}
