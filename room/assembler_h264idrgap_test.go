package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestFrameAssemblerH264LostIDRGap: an IDR picture restarts frame_num, so
// a gap that held a whole IDR picture (a second keyframe, sent for a
// keyframe request, or an encoder that restarted) ends on a picture
// whose frame_num may follow the last reference's: after an IDR (0), a
// lost IDR, then a P picture (1). The P picture refers to the lost IDR:
// it must be reported with a loss (the decoder then waits for a
// keyframe), not passed as if the gap held padding, whatever the frame
// rate (a screen share at 5 pictures a second, or a camera at 30).
func TestFrameAssemblerH264LostIDRGap(t *testing.T) {
	for _, fps := range []int{5, 30} {
		key := h264Picture(true)
		key = append(key[:2], h264Slice(true, true, 0))
		a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
		var c collector
		seq := uint16(100)
		ms := 0
		for i, nals := range [][][]byte{key, key, {h264Slice(false, true, 1)}} {
			pkts := h264Packets(seq, nals)
			seq += uint16(len(pkts))
			ms = i * 1000 / fps
			for _, q := range pkts {
				q.Timestamp = uint32(i * 90000 / fps)
				if i != 1 { // the second IDR is lost, all of it
					pushAt(t, a, &c, q, ms)
				}
			}
		}
		a.drain(time.Unix(0, 0).Add(time.Duration(ms)*time.Millisecond+assemblerPatience), c.emit)
		if len(c.frames) != 2 || c.lost[1] == 0 {
			t.Errorf("%d fps: %d pictures emitted, lost %v; want the P picture after the lost IDR reported with a loss", fps, len(c.frames), c.lost)
		}
	}
}
