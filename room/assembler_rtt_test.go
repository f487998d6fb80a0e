package room

import (
	"testing"

	"github.com/pion/rtp"
)

// TestRetransmissionOverLongRTT: a sender on a link with a 280 ms round
// trip (another continent over a mobile network) loses packet 3. The
// server sees the gap when 4 comes (52 ms), asks within one NACK interval,
// and the resend arrives a round trip later, at 52+50+280 = 382 ms at the
// latest. The frame must not have been given up by then: each give-up
// costs a PLI and a frozen tile until the keyframe (measured live at 300 ms
// of patience: 27 to 37 PLIs in 35 s at 3 % uplink loss).
func TestRetransmissionOverLongRTT(t *testing.T) {
	const rtt, nackWait = 280, 50
	a := newFrameAssembler(func() rtp.Depacketizer { return rawDepacketizer{} })
	var c collector
	const gap = 13                     // ms between packets: a 750 kbit/s camera sends ~75 a second
	resendAt := 4*gap + nackWait + rtt // the gap shows when 4 comes
	resent := false
	for seq := uint16(1); seq <= 60; seq++ {
		ms := int(seq) * gap
		if !resent && ms >= resendAt {
			pushAt(t, a, &c, pkt(3, true, "3"), resendAt)
			resent = true
		}
		if seq == 3 {
			continue // lost on the way
		}
		pushAt(t, a, &c, pkt(seq, true, string(rune('a'+seq))), ms)
	}
	total := 0
	for _, l := range c.lost {
		total += l
	}
	if total != 0 {
		t.Errorf("%d packets given up (frames %q): a resend over a %d ms round trip came too late for the assembler's patience (%v)", total, c.frames, rtt, assemblerPatience)
	}
}
