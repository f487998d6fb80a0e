package room

import "math/rand/v2"

// vp8Payloader splits a VP8 frame into RTP payloads (RFC 7741) whose
// descriptor always carries a 15-bit picture ID, in the same four bytes:
// [X, S on a frame's first packet] [I] [M | the ID's high bits] [its low
// bits]. A receiver sent every second frame (halfRate) gets the IDs
// renumbered so that they follow one another, which a fixed place makes a
// two-byte rewrite. pion's own VP8 payloader writes no ID for picture 0
// and a 7-bit one below 128.
type vp8Payloader struct {
	pictureID uint16 // the next frame's, 15 bits
}

// vp8DescriptorSize is the size of vp8Payloader's payload descriptor.
const vp8DescriptorSize = 4

func newVP8Payloader() *vp8Payloader {
	return &vp8Payloader{pictureID: uint16(rand.IntN(1 << 15))}
}

// Payload implements rtp.Payloader: payloads of at most mtu bytes.
func (p *vp8Payloader) Payload(mtu uint16, frame []byte) [][]byte {
	room := int(mtu) - vp8DescriptorSize
	if room <= 0 || len(frame) == 0 {
		return nil
	}
	var out [][]byte
	for i := 0; i < len(frame); i += room {
		part := frame[i:min(i+room, len(frame))]
		pl := make([]byte, vp8DescriptorSize+len(part))
		pl[0] = 0x80 // X
		if i == 0 {
			pl[0] |= 0x10 // S: the start of partition 0
		}
		pl[1] = 0x80 // I
		pl[2] = 0x80 | byte(p.pictureID>>8)
		pl[3] = byte(p.pictureID)
		copy(pl[vp8DescriptorSize:], part)
		out = append(out, pl)
	}
	p.pictureID = (p.pictureID + 1) & 0x7fff
	return out
}

// renumberPicture adds off to the picture ID of a payload vp8Payloader
// made, in place.
func renumberPicture(pl []byte, off uint16) {
	id := (uint16(pl[2]&0x7f)<<8 | uint16(pl[3])) + off
	pl[2] = 0x80 | byte(id>>8&0x7f)
	pl[3] = byte(id)
}
