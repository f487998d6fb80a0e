package room

import "math/rand/v2"

// vp8Payloader splits a VP8 frame into RTP payloads (RFC 7741) whose
// descriptor always carries a 15-bit picture ID and the frame's temporal
// layer, in the same six bytes: [X, N on a droppable frame, S on a
// frame's first packet] [I, L, T] [M | the ID's high bits] [its low bits]
// [TL0PICIDX] [TID, Y]. A receiver sent every second frame (halfRate) gets
// the IDs renumbered so that they follow one another, which a fixed place
// makes a two-byte rewrite. pion's own VP8 payloader writes no ID for
// picture 0 and a 7-bit one below 128.
//
// The encoder's droppable frames (codec.VP8Encoder.SetTwoLayers) are
// layer 1, each a layer sync frame (they refer to the base layer only),
// and all the others are layer 0: a receiver that loses a droppable
// frame knows that nothing after it needed it, and a browser decodes on
// instead of waiting for a keyframe. The layers are said from the first
// frame on, whether or not the encoder makes droppable frames: a browser
// does not follow a stream that starts saying them mid-stream until its
// next keyframe.
type vp8Payloader struct {
	pictureID uint16 // the next frame's, 15 bits
	tl0       uint8  // the TL0PICIDX of the last base-layer frame
	// droppable tells that the next frame is one (set by the writer
	// before Payload).
	droppable bool
}

// vp8DescriptorSize is the size of vp8Payloader's payload descriptor.
const vp8DescriptorSize = 6

func newVP8Payloader() *vp8Payloader {
	return &vp8Payloader{pictureID: uint16(rand.IntN(1 << 15)), tl0: uint8(rand.IntN(256))}
}

// Payload implements rtp.Payloader: payloads of at most mtu bytes.
func (p *vp8Payloader) Payload(mtu uint16, frame []byte) [][]byte {
	room := int(mtu) - vp8DescriptorSize
	if room <= 0 || len(frame) == 0 {
		return nil
	}
	first, layer := byte(0x80), byte(0) // X; TID 0
	if p.droppable {
		first |= 0x20       // N: no frame refers to it
		layer = 1<<6 | 0x20 // TID 1, Y: it refers to the base layer alone
	} else {
		p.tl0++
	}
	var out [][]byte
	for i := 0; i < len(frame); i += room {
		part := frame[i:min(i+room, len(frame))]
		pl := make([]byte, vp8DescriptorSize+len(part))
		pl[0] = first
		if i == 0 {
			pl[0] |= 0x10 // S: the start of partition 0
		}
		pl[1] = 0xe0 // I, L, T
		pl[2] = 0x80 | byte(p.pictureID>>8)
		pl[3] = byte(p.pictureID)
		pl[4] = p.tl0
		pl[5] = layer
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
