package room

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// flipBinding is a payloadBinding that sets flag after the first packet
// it is written, as the receiver's reports may while a frame is written.
type flipBinding struct {
	payloadBinding
	flag *atomic.Bool
}

func (b *flipBinding) WriteStream() webrtc.TrackLocalWriter { return b }
func (b *flipBinding) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	b.flag.Store(true)
	return b.payloadBinding.WriteRTP(h, p)
}

// TestHalfRateTurnedOnMidFrame: a receiver put on half rate while a
// droppable frame is being written is sent that frame whole; leaving out
// its last packets would leave the receiver a frame it can never finish.
func TestHalfRateTurnedOnMidFrame(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	half := video.halfRate(2)
	b := &flipBinding{payloadBinding: payloadBinding{fakeBinding: fakeBinding{id: "half", ssrc: 2}}, flag: half}
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, mtu+100) // two packets
	f := codec.EncodedFrame{Data: data, PTS: time.Second / 30, Droppable: true}
	if err := video.WriteFrame(f); err != nil {
		t.Fatal(err)
	}
	if got := len(b.payloads); got != 2 {
		t.Errorf("the receiver got %d of the frame's 2 packets, want both", got)
	}
}
