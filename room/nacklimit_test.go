package room

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fakeClock is the limiter's clock in tests. Only the test goroutine moves
// it, between reads.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// nackRegistry is the server's NACK interceptors with the limiter on clock.
func nackRegistry(t *testing.T, clock *fakeClock) *interceptor.Registry {
	t.Helper()
	reg := &interceptor.Registry{}
	if err := configureNackClock(&webrtc.MediaEngine{}, reg, clock.now); err != nil {
		t.Fatal(err)
	}
	return reg
}

// peerConnection builds the interceptors of one PeerConnection.
func peerConnection(t *testing.T, reg *interceptor.Registry) interceptor.Interceptor {
	t.Helper()
	chain, err := reg.Build("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	return chain
}

// sink counts, per sequence number, the packets written to a local stream.
type sink struct {
	mu     sync.Mutex
	writes map[uint16]int
	total  int
}

func (s *sink) Write(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes[h.SequenceNumber]++
	s.total++
	return len(payload), nil
}

func (s *sink) count() (total int, writes map[uint16]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, maps.Clone(s.writes)
}

// sendVideo binds a NACK-negotiated local stream and sends packets 0 to n-1
// on it; the returned sink counts what is sent after that: the resends.
func sendVideo(t *testing.T, chain interceptor.Interceptor, ssrc uint32, n int) *sink {
	t.Helper()
	s := &sink{writes: map[uint16]int{}}
	info := &interceptor.StreamInfo{SSRC: ssrc, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	w := chain.BindLocalStream(info, s)
	for seq := range uint16(n) {
		h := rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq, PayloadType: 96}
		if _, err := w.Write(&h, []byte{byte(seq)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	s.writes, s.total = map[uint16]int{}, 0
	s.mu.Unlock()
	return s
}

// receiverReader is an RTCP reader of chain, as an RTPSender binds it, on
// which the receiver sends pkts every time.
func receiverReader(t *testing.T, chain interceptor.Interceptor, pkts ...rtcp.Packet) interceptor.RTCPReader {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(in []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(in, b), a, nil
	}))
}

// receive has the receiver send pkts once, and returns the packets the
// interceptors parsed.
func receive(t *testing.T, chain interceptor.Interceptor, pkts ...rtcp.Packet) []rtcp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	n, a, err := receiverReader(t, chain, pkts...).Read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := a.GetRTCPPackets(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// settle waits, boundedly, for the responder's resends (made from its own
// goroutines) to stop, and returns what was resent.
func settle(t *testing.T, s *sink) (total int, writes map[uint16]int) {
	t.Helper()
	const quiet = 100 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		total, writes = s.count()
		if total != last {
			last, since = total, time.Now()
		} else if time.Since(since) >= quiet {
			return total, writes
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("still resending after 5 s (%d so far)", last)
	return 0, nil
}

// waitResent waits, boundedly, until seq has been resent n times.
func waitResent(t *testing.T, s *sink, seq uint16, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, writes := s.count(); writes[seq] >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("packet %d was not resent (%d times wanted)", seq, n)
}

// TestNackLimiterBoundsResends floods the server with NACKs for every kept
// packet, many times over, from two readers of one PeerConnection at once
// (one per RTPSender): what is resent stays within one burst plus the
// steady rate, while a lost packet is still resent afterwards, and another
// PeerConnection's receiver is served meanwhile.
func TestNackLimiterBoundsResends(t *testing.T) {
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	reg := nackRegistry(t, clock)
	chain := peerConnection(t, reg)
	s := sendVideo(t, chain, 1111, 300) // the responder keeps 44 to 299

	// 240 pairs of 17 packets, 4,080 asked for: 44 to 300 (300 was never
	// sent) 15 times over.
	var pairs []rtcp.NackPair
	for range 15 {
		for j := range uint16(16) {
			pairs = append(pairs, rtcp.NackPair{PacketID: 44 + 16*j, LostPackets: 0xffff})
		}
	}
	flood := &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: pairs}
	readers := []interceptor.RTCPReader{receiverReader(t, chain, flood), receiverReader(t, chain, flood)}
	const rounds, step = 10, 100 * time.Millisecond
	for i := range rounds {
		if i > 0 {
			clock.advance(step)
		}
		var wg sync.WaitGroup
		for _, r := range readers {
			wg.Go(func() {
				if _, _, err := r.Read(make([]byte, 1500), nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	total, writes := settle(t, s)
	budget := nackBurst + int(nackRate*(rounds-1)*step.Seconds())
	if total > budget {
		t.Errorf("%d NACKs of 4,080 packets made the server resend %d packets, want at most %d", 2*rounds, total, budget)
	}
	for seq := uint16(44); seq < 300; seq++ {
		if writes[seq] == 0 {
			t.Fatalf("kept packet %d was never resent: the first burst should cover all %d kept packets", seq, nackKept)
		}
	}

	// Another PeerConnection has a budget of its own.
	other := peerConnection(t, reg)
	s2 := sendVideo(t, other, 2222, 300)
	receive(t, other, &rtcp.TransportLayerNack{MediaSSRC: 2222, Nacks: []rtcp.NackPair{{PacketID: 200}}})
	waitResent(t, s2, 200, 1)

	// Real loss, once the budget has refilled, is answered.
	clock.advance(time.Second)
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 200}}})
	waitResent(t, s, 200, writes[200]+1)
}

// TestNackLimiterResendsOncePerWindow asks for the same packet twice in one
// NACK and again right after: it is resent once; asked for once the window
// has passed, it is resent again.
func TestNackLimiterResendsOncePerWindow(t *testing.T) {
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	chain := peerConnection(t, nackRegistry(t, clock))
	s := sendVideo(t, chain, 1111, 10)

	// 5, 5 again, and 3 and 5 (bit 1 of 3's pair).
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111,
		Nacks: []rtcp.NackPair{{PacketID: 5}, {PacketID: 5}, {PacketID: 3, LostPackets: 1 << 1}}})
	clock.advance(nackWindow / 2)
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 5}}})
	clock.advance(nackWindow / 2)
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 5}}})
	waitResent(t, s, 5, 2)

	_, writes := settle(t, s)
	if want := map[uint16]int{3: 1, 5: 2}; !maps.Equal(writes, want) {
		t.Errorf("resent %v (packet: times), want %v", writes, want)
	}
}

// TestNackLimiterTrimsWhatTheResponderSees checks the packets the responder
// reads after the limiter: a pair loses the packets just resent, a NACK for
// a stream the responder keeps nothing of loses all, and a PLI in the same
// compound packet is untouched.
func TestNackLimiterTrimsWhatTheResponderSees(t *testing.T) {
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	chain := peerConnection(t, nackRegistry(t, clock))
	sendVideo(t, chain, 1111, 100)

	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 10, LostPackets: 0b11}}})
	got := receive(t, chain,
		&rtcp.PictureLossIndication{SenderSSRC: 7, MediaSSRC: 1111},
		&rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 10, LostPackets: 0xffff}}},
		&rtcp.TransportLayerNack{MediaSSRC: 9999, Nacks: []rtcp.NackPair{{PacketID: 10, LostPackets: 0xffff}}},
	)
	if len(got) != 3 {
		t.Fatalf("parsed %d packets, want 3", len(got))
	}
	if pli, ok := got[0].(*rtcp.PictureLossIndication); !ok || *pli != (rtcp.PictureLossIndication{SenderSSRC: 7, MediaSSRC: 1111}) {
		t.Errorf("PLI became %+v", got[0])
	}
	// 10 to 12 were just resent: 13 to 26 remain.
	if n := got[1].(*rtcp.TransportLayerNack).Nacks; !slices.Equal(n, []rtcp.NackPair{{PacketID: 13, LostPackets: 0x1fff}}) {
		t.Errorf("NACK trimmed to %+v, want 13 and the 13 after it", n)
	}
	if n := got[2].(*rtcp.TransportLayerNack).Nacks; len(n) != 0 {
		t.Errorf("NACK for an unknown stream kept %+v", n)
	}
}

// boundLimiter returns a NACK limiter on a fake clock, with one stream
// bound: SSRC 1111, which takes NACKs.
func boundLimiter(t *testing.T) (*nackLimiter, *fakeClock) {
	t.Helper()
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	i, err := limitNacks{clock.now}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	l := i.(*nackLimiter)
	l.BindLocalStream(&interceptor.StreamInfo{SSRC: 1111, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}, nil)
	return l, clock
}

// TestNackLimiterTrimDoesNotAllocate: trimming, done for every NACK a
// receiver sends, allocates nothing.
func TestNackLimiterTrimDoesNotAllocate(t *testing.T) {
	l, clock := boundLimiter(t)
	asked := []rtcp.NackPair{{PacketID: 10, LostPackets: 0xffff}, {PacketID: 20, LostPackets: 0xffff}}
	nack := &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: make([]rtcp.NackPair, 0, len(asked))}
	if a := testing.AllocsPerRun(100, func() {
		clock.advance(nackWindow)
		nack.Nacks = append(nack.Nacks[:0], asked...)
		l.trim(nack)
	}); a != 0 {
		t.Errorf("trim allocates %v times", a)
	}
}

// TestNackLimiterResendsAReRequest: a receiver that asks again for a
// packet 100 ms after it was resent (its resend was lost too) gets it
// again.
func TestNackLimiterResendsAReRequest(t *testing.T) {
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	chain := peerConnection(t, nackRegistry(t, clock))
	s := sendVideo(t, chain, 1111, 10)

	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 5}}})
	waitResent(t, s, 5, 1)
	clock.advance(100 * time.Millisecond)
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 5}}})
	waitResent(t, s, 5, 2)
	if _, writes := settle(t, s); !maps.Equal(writes, map[uint16]int{5: 2}) {
		t.Errorf("resent %v (packet: times), want packet 5 twice", writes)
	}
}

// TestNackLimiterSteadyRate: a receiver that has spent its burst and then
// asks for 300 new packets over a second, more than the whole 150–250
// packets/s of the mix, still has at least 200 of them resent.
func TestNackLimiterSteadyRate(t *testing.T) {
	l, clock := boundLimiter(t)
	next := uint16(0)
	// ask has the receiver ask for n packets not asked for before, and
	// returns how many of them are let through to be resent.
	ask := func(n int) int {
		seqs := make([]uint16, n)
		for j := range seqs {
			seqs[j] = next
			next++
		}
		nack := &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}
		l.trim(nack)
		kept := 0
		for _, p := range nack.Nacks {
			kept += len(p.PacketList())
		}
		return kept
	}
	for spent := 0; ask(100) > 0; spent++ {
		if spent == 50 {
			t.Fatal("5,000 packets asked for in the same instant were all let through: no burst limit")
		}
	}
	resent := 0
	for range 100 {
		clock.advance(10 * time.Millisecond)
		resent += ask(3)
	}
	if resent < 200 {
		t.Errorf("after the burst, 300 packets asked for over 1 s: %d resent, want at least 200", resent)
	}
}

// TestNackResponderKeepsNackKept: the responder keeps the last nackKept
// (256) packets of a stream, not pion's 1024: after packets 0 to 299, a
// NACK for 10 or 43 resends nothing, one for 44 (the oldest kept) resends it.
func TestNackResponderKeepsNackKept(t *testing.T) {
	clock := &fakeClock{time.Unix(1_700_000_000, 0)}
	chain := peerConnection(t, nackRegistry(t, clock))
	s := sendVideo(t, chain, 1111, 300) // the responder keeps 44 to 299
	receive(t, chain, &rtcp.TransportLayerNack{MediaSSRC: 1111, Nacks: []rtcp.NackPair{{PacketID: 10}, {PacketID: 43}, {PacketID: 44}}})
	waitResent(t, s, 44, 1)
	if total, writes := settle(t, s); total != 1 || writes[10] != 0 || writes[43] != 0 {
		t.Errorf("resent %d packets (10: %d times, 43: %d times), want packet 44 alone", total, writes[10], writes[43])
	}
}
