package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// vp8pic7 is a VP8 packet that begins a frame and carries a 7-bit picture
// ID (M clear), at RTP time ts.
func vp8pic7(seq uint16, id int, ts uint32, data string) *rtp.Packet {
	p := pkt(seq, true, string([]byte{0x80 | vp8Start, 0x80, byte(id & 0x7f)})+data)
	p.Timestamp = ts
	return p
}

// TestFrameAssemblerSevenBitPictureIDs: a sender of 7-bit picture IDs
// (RFC 7741 allows either) counts them modulo 128: a padding packet lost
// between picture 127 and picture 0 is passed at once, with no loss; but a
// gap of 128 packets, one a frame, can hide a whole round of IDs (4 s of
// pictures at 30 a second): the picture after it, whose ID looks next,
// is waited for and reported with a loss, or the decoder would predict it
// from the wrong picture and show garbage with no keyframe asked for.
func TestFrameAssemblerSevenBitPictureIDs(t *testing.T) {
	newVP8 := func() rtp.Depacketizer { return &codecs.VP8Packet{} }
	t.Run("wrap", func(t *testing.T) {
		a := newFrameAssembler(newVP8)
		var c collector
		pushAt(t, a, &c, vp8pic7(1, 127, 0, "a"), 0)
		pushAt(t, a, &c, vp8pic7(3, 0, 3000, "c"), 33) // 2, padding, lost
		if len(c.frames) != 2 || c.lost[1] != 0 {
			t.Errorf("frames %q lost %v, want picture 0 emitted at once after 127, no loss", c.frames, c.lost)
		}
	})
	t.Run("a round of IDs lost", func(t *testing.T) {
		a := newFrameAssembler(newVP8)
		var c collector
		pushAt(t, a, &c, vp8pic7(1, 5, 0, "a"), 0)
		// Pictures 6..127, 0..5 (128 of them, a packet each) lost: the
		// next is 6 again.
		pushAt(t, a, &c, vp8pic7(1+129, 6, 129*3000, "b"), 129*33)
		a.drain(time.Unix(0, 0).Add(129*33*time.Millisecond+assemblerPatience), c.emit)
		if len(c.frames) != 2 || c.lost[1] == 0 {
			t.Errorf("frames %q lost %v, want the picture after 128 lost ones reported with a loss", c.frames, c.lost)
		}
	})
}

// TestFrameAssemblerH264LostOnePacketIDR: as
// TestFrameAssemblerH264LostIDRGap, with the lost IDR picture a single
// packet (a small keyframe in one STAP-A with its parameter sets): the P
// picture numbered 1 after a gap of one packet refers to it, and is
// reported with a loss, not passed as if the gap held padding.
func TestFrameAssemblerH264LostOnePacketIDR(t *testing.T) {
	key := h264Picture(true)
	key = append(key[:2], h264Slice(true, true, 0))
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	seq := uint16(100)
	for _, q := range h264Packets(seq, key) {
		pushAt(t, a, &c, q, 0)
		seq++
	}
	seq++ // the second IDR, one packet, lost
	for _, q := range h264Packets(seq, [][]byte{h264Slice(false, true, 1)}) {
		q.Timestamp = 2 * 3000
		pushAt(t, a, &c, q, 67)
	}
	a.drain(time.Unix(0, 0).Add(67*time.Millisecond+assemblerPatience), c.emit)
	if len(c.frames) != 2 || c.lost[1] == 0 {
		t.Errorf("%d pictures emitted, lost %v; want the P picture after the lost IDR reported with a loss", len(c.frames), c.lost)
	}
}
