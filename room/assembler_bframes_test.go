package room

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestFrameAssemblerBFramesDuplicate: an H.264 sender with B-frames (x264,
// OBS, NVENC over WHIP) sends a P picture before the B pictures shown
// before it, so a packet's RTP time is ahead of the newest packet's once
// a B picture follows. A duplicate of the P picture's packet (a NACK
// answered after the original came in reordered, or a network
// duplicate) that arrives after the B picture's is not "of a time the
// stream is not at": it must be dropped as a duplicate, with nothing
// counted lost. Counted, the next picture goes to the decoder with a
// loss: it waits for a keyframe, the tile freezes and a PLI goes out.
func TestFrameAssemblerBFramesDuplicate(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	key := h264Picture(true)
	key = append(key[:2], h264Slice(true, true, 0))
	// Decode order I0 P3 B1 B2 P6 B4 B5, RTP time in display order.
	type pic struct {
		nals [][]byte
		disp int
	}
	pics := []pic{
		{key, 0},
		{[][]byte{h264Slice(false, true, 1)}, 3},
		{[][]byte{h264Slice(false, false, 2)}, 1},
		{[][]byte{h264Slice(false, false, 2)}, 2},
		{[][]byte{h264Slice(false, true, 2)}, 6},
		{[][]byte{h264Slice(false, false, 3)}, 4},
		{[][]byte{h264Slice(false, false, 3)}, 5},
	}
	seq := uint16(100)
	var sent [][]*rtp.Packet
	for _, p := range pics {
		pkts := h264Packets(seq, p.nals)
		for _, q := range pkts {
			q.Timestamp = 90000 + uint32(p.disp)*3000
		}
		seq += uint16(len(pkts))
		sent = append(sent, pkts)
	}
	ms := 0
	for i, pkts := range sent {
		for _, p := range pkts {
			pushAt(t, a, &c, p, ms)
		}
		ms += 33
		if i == 2 {
			// After B1: the P3 picture's last packet again.
			pushAt(t, a, &c, sent[1][len(sent[1])-1], ms)
		}
	}
	if len(c.frames) != len(pics) {
		t.Fatalf("%d frames, want %d", len(c.frames), len(pics))
	}
	for i, l := range c.lost {
		if l != 0 {
			t.Errorf("frame %d reported %d packets lost; nothing was (a duplicate came late): lost %v", i, l, c.lost)
		}
	}
}
