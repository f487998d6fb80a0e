package room

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// nackBinding is a fakeBinding whose packets go through the server's NACK
// interceptors (configureNack), as a real receiver's do.
type nackBinding struct {
	fakeBinding
	w interceptor.RTPWriter
}

func (b *nackBinding) WriteStream() webrtc.TrackLocalWriter { return b }
func (b *nackBinding) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	return b.w.Write(h, p, nil)
}

// TestHalfRateResendIsThePacketSent: the server's NACK responder keeps
// the payloads it is given without copying them (configureNack), so a
// receiver on half rate, whose payloads are renumbered, must be resent
// the packet it lost as it was first sent, not the bytes of a later one.
func TestHalfRateResendIsThePacketSent(t *testing.T) {
	chain := serverNack(t)
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	const ssrc = 2
	var mu sync.Mutex
	first := map[uint16][]byte{} // what was sent, by sequence number
	var order []uint16           // the sequence numbers sent, in order
	resent := make(chan *rtp.Packet, 8)
	info := &interceptor.StreamInfo{SSRC: ssrc, RTCPFeedback: []interceptor.RTCPFeedback{{Type: "nack"}}}
	b := &nackBinding{fakeBinding: fakeBinding{id: "half", ssrc: ssrc}}
	b.w = chain.BindLocalStream(info, interceptor.RTPWriterFunc(
		func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := first[h.SequenceNumber]; ok {
				resent <- &rtp.Packet{Header: h.Clone(), Payload: slices.Clone(payload)}
			} else {
				first[h.SequenceNumber] = slices.Clone(payload)
				order = append(order, h.SequenceNumber)
			}
			return len(payload), nil
		}))
	half := video.halfRate(ssrc)
	half.Store(true)
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		data := make([]byte, mtu+100) // two packets
		for i := range data {
			data[i] = byte(k)
		}
		f := codec.EncodedFrame{Data: data, PTS: time.Duration(k) * time.Second / 30, Key: k == 0, Droppable: k%2 == 1}
		if err := video.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	// Frames 0, 2 and 4 were sent, two packets each; the receiver lost
	// frame 2's first packet.
	mu.Lock()
	if len(order) != 6 {
		t.Fatalf("%d packets sent, want 6", len(order))
	}
	frame2 := order[2]
	mu.Unlock()
	nack, err := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: ssrc,
		Nacks: []rtcp.NackPair{{PacketID: frame2}}}})
	if err != nil {
		t.Fatal(err)
	}
	reader := chain.BindRTCPReader(interceptor.RTCPReaderFunc(func(p []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(p, nack), a, nil
	}))
	if _, _, err := reader.Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-resent:
		mu.Lock()
		want := first[frame2]
		mu.Unlock()
		if p.SequenceNumber != frame2 {
			t.Fatalf("resent packet %d, want %d", p.SequenceNumber, frame2)
		}
		if !slices.Equal(p.Payload, want) {
			t.Errorf("packet %d resent as % x… (frame %d's bytes), first sent as % x… (frame 2's)",
				frame2, p.Payload[:8], p.Payload[vp8DescriptorSize], want[:8])
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("packet %d was not resent", frame2)
	}
}
