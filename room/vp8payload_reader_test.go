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
// the frame, the start of the frame on its first packet alone, and the
// picture ID the payloader wrote.
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
	if err := video.WriteFrame(codec.EncodedFrame{Data: frame, Key: true}); err != nil {
		t.Fatal(err)
	}
	if len(b.payloads) < 4 {
		t.Fatalf("%d packets for a frame of %d bytes", len(b.payloads), len(frame))
	}
	var got []byte
	for i, pl := range b.payloads {
		if size := 12 + len(pl); size > mtu {
			t.Errorf("packet %d: %d bytes with its RTP header, over %d", i, size, mtu)
		}
		var p codecs.VP8Packet
		data, err := p.Unmarshal(pl)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if p.I != 1 || p.L != 0 || p.T != 0 || p.K != 0 {
			t.Errorf("packet %d: descriptor I=%d L=%d T=%d K=%d, want a picture ID alone", i, p.I, p.L, p.T, p.K)
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
		pl := []byte{0x90, 0x80, 0x80 | byte(c.id>>8), byte(c.id), 0}
		renumberPicture(pl, c.off)
		if got := sentPictureID(t, pl); got != c.want {
			t.Errorf("%#04x moved by %d: %#04x, want %#04x", c.id, int16(c.off), got, c.want)
		}
	}
}
