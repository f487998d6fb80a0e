package room

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// TestNackLimiterBurstAfterIdle: a receiver that asked for nothing
// for an hour has saved no more than nackBurst retransmissions: a storm of
// NACKs for every kept packet, ten times over a second (each time past
// nackWindow), gets nackBurst plus a second's nackRate, not an hour's.
func TestNackLimiterBurstAfterIdle(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	i, err := limitNacks{clock.now}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	l := i.(*nackLimiter)
	const ssrc = 42
	l.BindLocalStream(&interceptor.StreamInfo{SSRC: ssrc, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}, nil)
	clock.advance(time.Hour)
	let := 0
	for round := range 10 {
		if round > 0 {
			clock.advance(100 * time.Millisecond)
		}
		nack := &rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(func() []uint16 {
			s := make([]uint16, nackKept)
			for k := range s {
				s[k] = uint16(k)
			}
			return s
		}())}
		l.trim(nack)
		for _, p := range nack.Nacks {
			p.Range(func(uint16) bool { let++; return true })
		}
	}
	if most := nackBurst + nackRate; let > most {
		t.Errorf("%d retransmissions let through in a second after an idle hour, want at most %d", let, most)
	}
}
