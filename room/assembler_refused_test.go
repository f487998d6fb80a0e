package room

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestFrameAssemblerDepacketizerErrorIsALoss: a picture of three slices,
// each a packet, whose middle packet the depacketizer refuses (a STAP-A
// whose NAL unit's size runs past the packet: pion drops the whole
// packet). The frame goes out without that slice: it must say so (lost),
// or the decoder conceals the missing slice, shows a damaged picture with
// no error and every picture after it is predicted from it, with no
// keyframe asked for (a WebRTC sender sends none unasked).
func TestFrameAssemblerDepacketizerErrorIsALoss(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	key := h264Picture(true)
	seq := uint16(10)
	for _, p := range h264Packets(seq, key) {
		pushAt(t, a, &c, p, 0)
		seq++
	}
	slice := func(first byte) []byte { return append([]byte{0x41, first}, make([]byte, 8)...) }
	bad := append([]byte{24, 0x00, 0x40}, slice(0x5a)...) // says 64 bytes, has 10
	pkts := []*rtp.Packet{
		pkt(seq, false, string(slice(0x9a))), // first_mb_in_slice 0
		pkt(seq+1, false, string(bad)),
		pkt(seq+2, true, string(slice(0x5a))),
	}
	for _, p := range pkts {
		pushAt(t, a, &c, p, 33)
	}
	if len(c.frames) != 2 {
		t.Fatalf("%d frames, want 2", len(c.frames))
	}
	if c.lost[1] == 0 {
		t.Errorf("a picture missing a packet's slice went out with nothing lost (%d bytes): the decoder shows it damaged and asks for no keyframe", len(c.frames[1]))
	}
}

// TestFrameAssemblerIgnoredNALIsNoLoss: an H.264 NAL unit of a type
// receivers ignore (RFC 6184: 0, 30, 31), which pion refuses, is no loss.
func TestFrameAssemblerIgnoredNALIsNoLoss(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	seq := uint16(10)
	for _, p := range h264Packets(seq, h264Picture(true)) {
		pushAt(t, a, &c, p, 0)
		seq++
	}
	pushAt(t, a, &c, pkt(seq, false, string([]byte{0x41, 0x9a, 1, 2, 3})), 33)
	pushAt(t, a, &c, pkt(seq+1, true, string([]byte{0x1e, 1, 2, 3})), 33)
	if len(c.frames) != 2 || c.lost[1] != 0 {
		t.Errorf("frames %d lost %v, want 2 with nothing lost", len(c.frames), c.lost)
	}
}
