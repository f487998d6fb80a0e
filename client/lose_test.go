package client

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestLoseVideoAsksForNothing: a client that drops every fourth packet of
// the mix reports the loss, and sends no NACK for the packets it dropped
// itself (their resends would be refused as replays).
func TestLoseVideoAsksForNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, err := interceptors(&webrtc.MediaEngine{}, 4, 0, &holdAudio{})
		if err != nil {
			t.Fatal(err)
		}
		chain, err := reg.Build("")
		if err != nil {
			t.Fatal(err)
		}
		defer chain.Close()
		var nacks, lossy int
		var fraction uint8 // the last report's
		chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
			for _, p := range pkts {
				switch p := p.(type) {
				case *rtcp.TransportLayerNack:
					nacks++
				case *rtcp.ReceiverReport:
					for _, r := range p.Reports {
						if r.SSRC == 42 && r.FractionLost > 0 {
							lossy++
							fraction = r.FractionLost
						}
					}
				}
			}
			return 0, nil
		}))
		info := &interceptor.StreamInfo{SSRC: 42, MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
		seq := uint16(0)
		reader := chain.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			time.Sleep(10 * time.Millisecond) // 100 packets a second
			seq++
			p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 900, SSRC: 42, PayloadType: 96}, Payload: []byte{1, 2, 3}}
			n, err := p.MarshalTo(b)
			return n, a, err
		}))
		buf := make([]byte, 1500)
		for range 300 { // 4 s of packets, 3 of 4 read
			if _, _, err := reader.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if nacks != 0 || lossy == 0 {
			t.Errorf("%d NACKs sent and %d reports of loss; want none, and the loss reported", nacks, lossy)
		}
		// One in four dropped, no more: the 300th packet read is the 399th
		// sent (every fourth skipped), and a quarter is reported lost.
		if seq != 399 || fraction < 60 || fraction > 68 {
			t.Errorf("300 packets read of %d sent, loss reported %d/256; want 399 and about 64 (a quarter)", seq, fraction)
		}
	})
}
