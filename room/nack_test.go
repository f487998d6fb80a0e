package room

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// serverNack is the server's NACK interceptors (configureNack) of one
// PeerConnection, closed with the test.
func serverNack(t *testing.T) interceptor.Interceptor {
	t.Helper()
	reg := &interceptor.Registry{}
	if err := configureNack(&webrtc.MediaEngine{}, reg); err != nil {
		t.Fatal(err)
	}
	return peerConnection(t, reg)
}

// TestNackResendsEachReceiversOwnPacket drives the server's NACK
// interceptors the way pion's shared track does: one packet, its header's
// SSRC rewritten for each receiver in turn. A receiver that asks for a
// packet again must get it with its own SSRC and the same payload, though
// the responder keeps no copies.
func TestNackResendsEachReceiversOwnPacket(t *testing.T) {
	chain := serverNack(t)

	type sent struct {
		ssrc    uint32
		seq     uint16
		payload string
	}
	var mu sync.Mutex
	var got []sent
	resent := make(chan sent, 8)
	receivers := []uint32{1111, 2222, 3333}
	writers := make([]interceptor.RTPWriter, len(receivers))
	for i, ssrc := range receivers {
		info := &interceptor.StreamInfo{SSRC: ssrc, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
		writers[i] = chain.BindLocalStream(info, interceptor.RTPWriterFunc(
			func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
				s := sent{h.SSRC, h.SequenceNumber, string(payload)}
				mu.Lock()
				got = append(got, s)
				again := len(got) > 3*len(receivers)
				mu.Unlock()
				if again {
					resent <- s
				}
				return len(payload), nil
			}))
	}
	// Three packets, each written to every receiver with one shared header.
	for seq := uint16(100); seq < 103; seq++ {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, PayloadType: 96},
			Payload: []byte{'p', byte('0' + seq - 100)}}
		for i, ssrc := range receivers {
			pkt.Header.SSRC = ssrc
			if _, err := writers[i].Write(&pkt.Header, pkt.Payload, nil); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The first receiver lost packet 101.
	nack, err := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: receivers[0],
		Nacks: []rtcp.NackPair{{PacketID: 101}}}})
	if err != nil {
		t.Fatal(err)
	}
	reader := chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, nack), a, nil
	}))
	if _, _, err := reader.Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-resent:
		if want := (sent{receivers[0], 101, "p1"}); s != want {
			t.Errorf("resent %+v, want %+v", s, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("packet 101 was not resent")
	}
}

// TestNackAsksForAMissingPacketAFewTimes reads packets 1, 2 and 4 of a
// participant's stream through the server's interceptors and counts the
// NACKs for packet 3: it is asked for nackTries times, once per
// nackInterval, and then no more (pion's default asks every 100 ms until
// 512 newer packets have come).
func TestNackAsksForAMissingPacketAFewTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chain := serverNack(t)
		var mu sync.Mutex
		asked := 0
		chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, p := range pkts {
				if n, ok := p.(*rtcp.TransportLayerNack); ok {
					for _, pair := range n.Nacks {
						if slices.Contains(pair.PacketList(), 3) {
							asked++
						}
					}
				}
			}
			return 0, nil
		}))
		info := &interceptor.StreamInfo{SSRC: 42, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
		var next []uint16
		reader := chain.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: next[0], SSRC: 42, PayloadType: 96}, Payload: []byte{1}}
			next = next[1:]
			n, err := p.MarshalTo(b)
			return n, a, err
		}))
		next = []uint16{1, 2, 4}
		for range 3 {
			if _, _, err := reader.Read(make([]byte, 1500), nil); err != nil {
				t.Fatal(err)
			}
		}
		// Three times nackTries at nackInterval (and more than nackTries at
		// pion's default 100 ms), on the bubble's clock.
		time.Sleep(3 * time.Duration(nackTries) * nackInterval)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if asked != int(nackTries) {
			t.Errorf("packet 3 asked for %d times, want %d (once per %v within the assembler's patience of %v)", asked, nackTries, nackInterval, assemblerPatience)
		}
	})
}
