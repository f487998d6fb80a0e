package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// TestVideoInCodecFlappingOpensFewDecoders: a sender alternating two
// negotiated codecs at every packet (VP8, H.264, VP8, ...), 50 packets a
// second for two seconds, has the server open a decoder at most once per
// codecSwitchGap, not once per packet.
func TestVideoInCodecFlappingOpensFewDecoders(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8", 102: "video/H264"})
	p.in.start(96, "video/VP8")
	start := time.Now()
	opened := 0
	last := p.in.dec
	for i := range 100 {
		pt := uint8(96)
		if i%2 == 1 {
			pt = 102
		}
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: uint16(1000 + i),
			Timestamp: uint32(3000 * i), Marker: true, SSRC: 1}, Payload: []byte{0x10, 0x00, 0x9d, 0x01}}
		raw, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p.frozen = start.Add(time.Duration(i) * 20 * time.Millisecond)
		p.push(raw)
		if p.in.dec != last {
			opened++
			last = p.in.dec
		}
	}
	var _ *codec.VideoDecoder = last
	if most := 3; opened > most {
		t.Errorf("%d decoders opened over 2 s of a sender flapping codecs at every packet, want at most %d", opened, most)
	}
}

// TestVideoInOneOutgrownKeyframeCountsOnce: one keyframe larger
// than the assembler holds, then delta frames, counts as one failed
// keyframe: the sender is asked again after keyframeBackoff(1), not
// after the longest backoff, as if every packet after it had failed.
func TestVideoInOneOutgrownKeyframeCountsOnce(t *testing.T) {
	p, sender := vp8Reader(t)
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, outgrowingVP8(60))...)
	if p.in.badKeys != 1 {
		t.Errorf("one outgrown keyframe and 60 delta frames count as %d failed keyframes (next request after %v), want 1 (after %v)",
			p.in.badKeys, keyframeBackoff(p.in.badKeys), keyframeBackoff(1))
	}
}
