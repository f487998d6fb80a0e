package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// vp9pic is a VP9 packet (RFC 9628 4.2) with a 15-bit picture ID: B and E
// as begin and end say, and, if sid >= 0, layer indices with that spatial
// layer (non-flexible mode: TL0PICIDX after them).
func vp9pic(seq uint16, marker, begin, end bool, id, sid int, data string) *rtp.Packet {
	d := []byte{0x80, 0x80 | byte(id>>8), byte(id)}
	if begin {
		d[0] |= 0x08
	}
	if end {
		d[0] |= 0x04
	}
	if sid >= 0 {
		d[0] |= 0x20
		d = append(d, byte(sid)<<1, 0)
	}
	return pkt(seq, marker, string(d)+data)
}

// TestFrameAssemblerVP9PaddingGap: as with VP8, a gap between a VP9
// picture emitted whole and the start of the picture whose ID follows held
// only padding (a browser without RTX probes with padding in the media
// stream and does not resend it): it is passed at once, with no loss. A
// picture whose base layer is missing, the next layer beginning after the
// gap with the same ID, is not taken for the next picture.
func TestFrameAssemblerVP9PaddingGap(t *testing.T) {
	patience := int(assemblerPatience / time.Millisecond)
	vp9 := func() rtp.Depacketizer { return &codecs.VP9Packet{} }
	for _, tc := range []assemblerCase{
		{name: "lost padding", pkts: []*rtp.Packet{vp9pic(1, true, true, true, 10, -1, "a"), vp9pic(3, true, true, true, 11, -1, "c"), vp9pic(4, true, true, true, 12, -1, "d")},
			frames: []string{"a", "c", "d"}, lost: []int{0, 0, 0}},
		{name: "lost padding, layered", pkts: []*rtp.Packet{
			vp9pic(1, false, true, true, 10, 0, "a"), vp9pic(2, true, true, true, 10, 1, "A"), pkt(3, false, ""),
			vp9pic(5, false, true, true, 11, 0, "c"), vp9pic(6, true, true, true, 11, 1, "C")},
			frames: []string{"aA", "cC"}, lost: []int{0, 0}},
		{name: "a base layer lost", pkts: []*rtp.Packet{
			vp9pic(1, false, true, true, 10, 0, "a"), vp9pic(2, true, true, true, 10, 1, "A"),
			vp9pic(4, true, true, true, 11, 1, "C"), vp9pic(5, false, true, true, 12, 0, "d"), vp9pic(6, true, true, true, 12, 1, "D")},
			times:  []int{0, 0, 10, 20, 20 + patience},
			frames: []string{"aA", "C", "dD"}, lost: []int{0, 1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, vp9) })
	}
}
