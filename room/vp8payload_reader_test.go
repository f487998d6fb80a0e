package room

import (
	"bytes"
	"testing"

	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// TestVP8PayloadsAsAReceiverReadsThem: each packet of the composite,
// RTP header included, fits in mtu (pion's own outbound MTU: larger, a
// path of 1280 bytes with TURN's overhead drops it); read by an RFC 7741
// depacketizer (pion's, as a browser reads them) the packets give back
// the frame, the start of the frame on its first packet alone, the
// picture ID the payloader wrote, and the frame's temporal layer: a
// frame the others need in the base layer, a droppable one in layer 1,
// marked as needed by none (N) and needing the base layer alone (Y), the
// base layer's frames counted by TL0PICIDX.
func TestVP8PayloadsAsAReceiverReadsThem(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	b := &payloadBinding{fakeBinding: fakeBinding{id: "r", ssrc: 1}}
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 3*mtu+7)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	tl0 := uint8(254) // the count wraps at the third frame
	video.payloader.(*vp8Payloader).tl0 = tl0
	for k, droppable := range []bool{false, true, false} {
		b.payloads = nil
		if err := video.WriteFrame(codec.EncodedFrame{Data: frame, Key: k == 0, Droppable: droppable}); err != nil {
			t.Fatal(err)
		}
		if len(b.payloads) < 4 {
			t.Fatalf("%d packets for a frame of %d bytes", len(b.payloads), len(frame))
		}
		tl0 = readVP8Payloads(t, b.payloads, frame, droppable, tl0)
	}
}

// readVP8Payloads checks one frame's payloads as a depacketizer reads
// them (see TestVP8PayloadsAsAReceiverReadsThem), the last base-layer
// frame's TL0PICIDX before them being tl0, and returns the frame's.
func readVP8Payloads(t *testing.T, payloads [][]byte, frame []byte, droppable bool, tl0 uint8) uint8 {
	t.Helper()
	var got []byte
	for i, pl := range payloads {
		if size := 12 + len(pl); size > mtu {
			t.Errorf("packet %d: %d bytes with its RTP header, over %d", i, size, mtu)
		}
		var p codecs.VP8Packet
		data, err := p.Unmarshal(pl)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if p.I != 1 || p.L != 1 || p.T != 1 || p.K != 0 {
			t.Errorf("packet %d: descriptor I=%d L=%d T=%d K=%d, want a picture ID, TL0PICIDX and layer", i, p.I, p.L, p.T, p.K)
		}
		want := codecs.VP8Packet{TID: 0, Y: 0, N: 0, TL0PICIDX: tl0 + 1}
		if droppable {
			want = codecs.VP8Packet{TID: 1, Y: 1, N: 1, TL0PICIDX: tl0}
		}
		if p.TID != want.TID || p.Y != want.Y || p.N != want.N || p.TL0PICIDX != want.TL0PICIDX {
			t.Errorf("packet %d of a frame droppable %v: TID=%d Y=%d N=%d TL0PICIDX=%d, want %d %d %d %d", i, droppable,
				p.TID, p.Y, p.N, p.TL0PICIDX, want.TID, want.Y, want.N, want.TL0PICIDX)
		}
		if l := vp8TemporalLayer(pl); !l.ok || l.tid != int(want.TID) || l.sync != (want.Y == 1) || l.tl0 != int(want.TL0PICIDX) {
			t.Errorf("packet %d: the server reads its own layer as %+v", i, l)
		}
		if p.PictureID != sentPictureID(t, pl) {
			t.Errorf("packet %d: the depacketizer reads picture ID %d, the payloader wrote %d", i, p.PictureID, sentPictureID(t, pl))
		}
		if start := p.S == 1 && p.PID == 0; start != (i == 0) {
			t.Errorf("packet %d: frame start %v", i, start)
		}
		got = append(got, data...)
	}
	if !bytes.Equal(got, frame) {
		t.Error("the packets do not give back the frame")
	}
	if droppable {
		return tl0
	}
	return tl0 + 1
}

// TestVP8PictureIDsFollowOneAnother: the picture IDs count frames across
// their low byte's wrap and the 15-bit wrap, and so do those renumbered
// for a receiver on half rate.
func TestVP8PictureIDsFollowOneAnother(t *testing.T) {
	for _, start := range []uint16{0x00fe, 0x7ffe} {
		p := newVP8Payloader()
		p.pictureID = start
		for k := range uint16(4) {
			pls := p.Payload(mtu-12, []byte{1, 2, 3})
			if want := (start + k) & 0x7fff; sentPictureID(t, pls[0]) != want {
				t.Errorf("from %#04x, frame %d: picture ID %#04x, want %#04x", start, k, sentPictureID(t, pls[0]), want)
			}
		}
	}
	for _, c := range []struct{ id, off, want uint16 }{
		{0x0100, 0xffff, 0x00ff},
		{0x0000, 0xffff, 0x7fff},
		{0x7fff, 2, 0x0001},
		{0x00ff, 1, 0x0100},
	} {
		pl := []byte{0x90, 0xe0, 0x80 | byte(c.id>>8), byte(c.id), 0, 0, 0}
		renumberPicture(pl, c.off)
		if got := sentPictureID(t, pl); got != c.want {
			t.Errorf("%#04x moved by %d: %#04x, want %#04x", c.id, int16(c.off), got, c.want)
		}
	}
}
