package room

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestFrameAssemblerH264PaddingGapSlowFrames: a lost padding packet
// between two pictures of a slow H.264 stream (a screen share at 5 frames
// a second, from an encoder whose frame_num has 4 bits) is passed at
// once, as at 30 frames a second: a gap of fewer packets than frame_num
// counts cannot hide a round of it, however long it lasted.
func TestFrameAssemblerH264PaddingGapSlowFrames(t *testing.T) {
	key := h264Picture(true)
	key = append(key[:2], h264Slice(true, true, 0))
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	seq := uint16(100)
	for i, nals := range [][][]byte{key, {h264Slice(false, true, 1)}, {h264Slice(false, true, 2)}, {h264Slice(false, true, 3)}} {
		pkts := h264Packets(seq, nals)
		seq += uint16(len(pkts))
		for _, q := range pkts {
			q.Timestamp = uint32(i * 18000) // 5 fps
			pushAt(t, a, &c, q, i*200)
		}
		if i > 0 {
			seq++ // a padding packet after each picture but the IDR, lost (one there could have been an IDR)
		}
	}
	if len(c.frames) != 4 || c.lost[2] != 0 || c.lost[3] != 0 {
		t.Errorf("%d pictures emitted at once, lost %v; want 4 with none lost", len(c.frames), c.lost)
	}
}
