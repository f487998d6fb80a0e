package room

import (
	"testing"
	"time"
)

// TestDownlinkQuietPictureBlipNotHalved: in a room whose composite is
// quiet (it sends 450 kbit/s of a 1.5 Mbit/s target), one receiver
// reports heavy loss twice in a row, once; its estimate, cut from what
// is sent, lands under half of the others' (which follow the target), but
// halving it gains the others nothing: the encoder already sends less
// than twice its estimate. It is not sent half the frames.
func TestDownlinkQuietPictureBlipNotHalved(t *testing.T) {
	const floor, ceiling, quiet = 300_000, 1_500_000, 450_000
	r := newHalfRig(t, floor, ceiling, "blip", "a", "b")
	r.d.sent = func() int { return min(r.bitrate, quiet) }
	ests := map[string]*downlinkEstimate{}
	for _, id := range []string{"blip", "a", "b"} {
		ests[id] = newDownlinkEstimate(floor/2, ceiling)
	}
	halvedFor := 0
	for i := range 40 {
		r.now = r.now.Add(time.Second)
		for id, e := range ests {
			got, sent := r.bitrate, min(r.bitrate, quiet)
			if r.halves[id] {
				got, sent = got/2, sent/2
			}
			e.sent = func() int { return sent }
			lost := uint8(0)
			if id == "blip" && (i == 10 || i == 11) {
				lost = 100 // 39 %
			}
			e.report(r.now, lost, got)
			r.d.update(id, e.value())
		}
		if r.halves["blip"] {
			halvedFor++
		}
	}
	if halvedFor > 0 {
		t.Errorf("a receiver of a quiet composite halved for %d s after one loss event", halvedFor)
	}
}
