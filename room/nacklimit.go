package room

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// What one PeerConnection may make the server resend. A receiver is
// untrusted: one RTCP packet of ~300 NACK pairs asks for ~5,000 packets, and
// it can send that packet again and again.
const (
	// nackKept is how many packets the NACK responder keeps per outgoing
	// stream, so the most one NACK can rightly ask for.
	nackKept = 256
	// nackWindow is how long after resending a packet the same packet is not
	// resent again. A receiver asks again only once the resent copy had time
	// to arrive, one round trip later: libwebrtc re-requests after its RTT
	// estimate, 100 ms until it has measured one, and pion's generator every
	// 100 ms. 80 ms leaves those re-requests room for jitter, while
	// duplicate pairs and NACKs repeated in a burst are answered once.
	nackWindow = 80 * time.Millisecond
	// nackBurst is how many retransmissions a receiver may ask for at once:
	// one responder buffer, everything a receiver that lost a whole second
	// of the mix could still get back.
	nackBurst = nackKept
	// nackRate is the steady retransmissions per second a receiver may ask
	// for. The 720p mix is 1.5–2.5 Mbit/s, 150–250 packets/s of ~1200
	// bytes: 250/s recovers even heavy real loss, and a receiver asking
	// for everything all the time gets at most about a second copy of its
	// own stream, not ~5,000 packets per NACK it sends.
	nackRate = 250
)

// limitNacks is the interceptor factory of nackLimiter, one per
// PeerConnection. It must be registered before pion's NACK responder: a
// chain wraps RTCP readers in the order of registration, so the first
// registered is the innermost and sees each packet first, as the read
// returns.
type limitNacks struct{ now func() time.Time }

func (f limitNacks) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &nackLimiter{now: f.now, tokens: nackBurst, filled: f.now(), streams: map[uint32]*[nackKept]resend{}}, nil
}

// nackLimiter bounds the retransmissions one PeerConnection's receiver can
// ask for (see nackWindow, nackBurst and nackRate). It trims the NACKs of
// each RTCP packet it reads down to what the receiver may have; the rest is
// dropped, not delayed. The responder then sees the trimmed NACKs: both
// read the packets that the first to parse them caches in the read's
// attributes (interceptor.Attributes.GetRTCPPackets), and the limiter
// changes the cached NACKs in place. Other RTCP, and the bytes read, are
// left as they are. One limiter serves all of a PeerConnection's RTCP
// readers (one per RTPSender), so it locks.
type nackLimiter struct {
	interceptor.NoOp
	now func() time.Time

	mu      sync.Mutex
	tokens  float64   // retransmissions the receiver may ask for now
	filled  time.Time // when tokens was last topped up
	streams map[uint32]*[nackKept]resend
}

// resend is the last time a packet of a stream was let through; the array
// of a stream holds packet seq at seq%nackKept, where the responder keeps
// at most one packet.
type resend struct {
	seq uint16
	at  time.Time
}

// BindLocalStream starts tracking the resends of a stream the responder
// keeps packets of (one that negotiated NACK).
func (l *nackLimiter) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if negotiatedNack(info) {
		l.mu.Lock()
		l.streams[info.SSRC] = new([nackKept]resend)
		l.mu.Unlock()
	}
	return w
}

func (l *nackLimiter) UnbindLocalStream(info *interceptor.StreamInfo) {
	l.mu.Lock()
	delete(l.streams, info.SSRC)
	l.mu.Unlock()
}

func (l *nackLimiter) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if a == nil {
			a = interceptor.Attributes{} // where the parsed packets are cached for the responder
		}
		pkts, err := a.GetRTCPPackets(b[:n])
		if err != nil {
			return n, a, nil // not RTCP: the responder refuses it as it did before
		}
		for _, p := range pkts {
			if nack, ok := p.(*rtcp.TransportLayerNack); ok {
				l.trim(nack)
			}
		}
		return n, a, nil
	})
}

// trim drops from a NACK every packet the receiver may not have resent now.
// Each pair keeps the packets it still asks for, which fit in one pair.
func (l *nackLimiter) trim(nack *rtcp.TransportLayerNack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sent := l.streams[nack.MediaSSRC]
	if sent == nil {
		nack.Nacks = nack.Nacks[:0] // the responder keeps nothing of it
		return
	}
	now := l.now()
	if d := now.Sub(l.filled); d > 0 {
		l.tokens = min(nackBurst, l.tokens+d.Seconds()*nackRate)
		l.filled = now
	}
	kept := nack.Nacks[:0] // written behind the read position
	for _, p := range nack.Nacks {
		if l.tokens < 1 {
			break
		}
		var out rtcp.NackPair
		have := false
		p.Range(func(seq uint16) bool {
			r := &sent[seq%nackKept]
			if r.seq == seq && now.Sub(r.at) < nackWindow {
				return true // just resent
			}
			if l.tokens < 1 {
				return false
			}
			l.tokens--
			*r = resend{seq, now}
			if !have {
				out, have = rtcp.NackPair{PacketID: seq}, true
			} else {
				out.LostPackets |= 1 << (seq - out.PacketID - 1)
			}
			return true
		})
		if have {
			kept = append(kept, out)
		}
	}
	nack.Nacks = kept
}
