package room

import (
	"testing"
	"time"
)

// TestDownlinkHalvesAReceiverWhoseLinkFallsSlowly runs the whole loop: the
// estimates made from each receiver's reports (downlinkEstimate, as
// watchVideoFeedback makes them) and the room's downlink. One receiver's
// link falls slowly from 1.5 Mbit/s to 250 kbit/s, losing what the mix
// sends it above that; the other's takes everything. Far below the other,
// the slow one must end up on half rate, the mix held to about twice its
// link, not to its link.
func TestDownlinkHalvesAReceiverWhoseLinkFallsSlowly(t *testing.T) {
	const floor, ceiling = 150_000, 1_500_000
	now := time.Unix(1_000_000, 0)
	bitrate := ceiling
	d := newDownlink(floor, ceiling, func(bps int) error { bitrate = bps; return nil })
	d.now = func() time.Time { return now }
	t.Cleanup(d.stop)
	var half bool
	switches := 0
	d.layers = func(bool) {}
	d.halvable("slow", func(on bool) {
		if on != half {
			switches++
		}
		half = on
	})
	d.halvable("fast", func(bool) {})
	share := func(bps int) int {
		if half {
			return bps / 2
		}
		return bps
	}
	slow := newDownlinkEstimate(floor/2, ceiling)
	slow.sent = func() int { return share(bitrate) }
	fast := newDownlinkEstimate(floor/2, ceiling)
	fast.sent = func() int { return bitrate }
	for s := range 120 {
		link := max(250_000, ceiling-s*25_000)
		for range 2 {
			now = now.Add(500 * time.Millisecond)
			got := share(bitrate)
			lost := uint8(0)
			if got > link {
				lost = uint8(256 * (got - link) / got)
			}
			slow.report(now, lost, share(bitrate))
			d.update("slow", slow.value())
		}
		fast.report(now, 0, bitrate)
		d.update("fast", fast.value())
	}
	t.Logf("slow: estimate %d, half %v (%d switches); fast: estimate %d; mix %d", slow.value(), half, switches, fast.value(), bitrate)
	if switches > 1 {
		t.Errorf("the slow receiver switched %d times, want once", switches)
	}
	if !half {
		t.Errorf("the slow receiver (link 250 kbit/s, the other's unlimited) is not on half rate; the mix is held at %d bit/s", bitrate)
	}
}

// TestDownlinkHalfRateLoopRecovers: the same loop, the slow link cut to
// 250 kbit/s at once for a minute, then whole again: the receiver is
// halved, then given every frame again, and the mix returns to the top.
func TestDownlinkHalfRateLoopRecovers(t *testing.T) {
	const floor, ceiling = 150_000, 1_500_000
	now := time.Unix(1_000_000, 0)
	bitrate := ceiling
	d := newDownlink(floor, ceiling, func(bps int) error { bitrate = bps; return nil })
	d.now = func() time.Time { return now }
	t.Cleanup(d.stop)
	var half, wasHalf bool
	d.layers = func(bool) {}
	d.halvable("slow", func(on bool) { half = on; wasHalf = wasHalf || on })
	d.halvable("fast", func(bool) {})
	share := func(bps int) int {
		if half {
			return bps / 2
		}
		return bps
	}
	slow := newDownlinkEstimate(floor/2, ceiling)
	slow.sent = func() int { return share(bitrate) }
	fast := newDownlinkEstimate(floor/2, ceiling)
	fast.sent = func() int { return bitrate }
	for s := range 240 {
		link := 10_000_000
		if s >= 10 && s < 70 {
			link = 250_000
		}
		now = now.Add(time.Second)
		got := share(bitrate)
		lost := uint8(0)
		if got > link {
			lost = uint8(256 * (got - link) / got)
		}
		slow.report(now, lost, share(bitrate))
		d.update("slow", slow.value())
		fast.report(now, 0, bitrate)
		d.update("fast", fast.value())
		if s == 69 {
			t.Logf("cut: slow %d half %v, fast %d, mix %d", slow.value(), half, fast.value(), bitrate)
		}
	}
	t.Logf("end: slow %d half %v, fast %d, mix %d", slow.value(), half, fast.value(), bitrate)
	if !wasHalf || half || bitrate < ceiling*9/10 {
		t.Errorf("halved %v, half at the end %v, mix %d; want halved, then every frame at about %d", wasHalf, half, bitrate, ceiling)
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
