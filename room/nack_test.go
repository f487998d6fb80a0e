package room

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestNackResendsEachReceiversOwnPacket drives the server's NACK
// interceptors the way pion's shared track does: one packet, its header's
// SSRC rewritten for each receiver in turn. A receiver that asks for a
// packet again must get it with its own SSRC and the same payload, though
// the responder keeps no copies.
func TestNackResendsEachReceiversOwnPacket(t *testing.T) {
	reg := &interceptor.Registry{}
	if err := configureNack(&webrtc.MediaEngine{}, reg); err != nil {
		t.Fatal(err)
	}
	chain, err := reg.Build("")
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()

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
