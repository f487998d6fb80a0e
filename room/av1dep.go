package room

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// av1Depacketizer is pion's AV1 depacketizer with the fragments of an OBU
// that spans packets put together first. pion's copies the OBU so far at
// every fragment: an OBU of 1000 packets cost 578 MB of copies. A packet
// holding a single element (W = 1) that goes on in the next (Y) is held,
// and the fragments that follow it (Z, W = 1) are appended, until the
// last one: pion then gets one packet with the whole OBU. A run that ends
// in a packet of several elements hands pion what is held first. Anything
// else goes to pion as it is: an OBU whose first fragment shares its
// packet with others (a keyframe's, after its sequence header) is still
// put together by pion.
type av1Depacketizer struct {
	codecs.AV1Depacketizer
	head byte   // aggregation header of the first fragment held
	frag []byte // the OBU's fragments so far (nil: none held)
}

// Aggregation header bits (AV1 RTP payload format, 4.4).
const (
	av1Z       = 0x80 // the first element continues the packet before's
	av1Y       = 0x40 // the last element goes on in the next packet
	av1WMask   = 0x30 // elements in the packet, 0: each with its length
	av1WOne    = 0x10
	maxAV1Frag = 8 << 20 // an OBU longer than this is a broken sender's
)

var _ rtp.Depacketizer = (*av1Depacketizer)(nil)

func (d *av1Depacketizer) Unmarshal(payload []byte) ([]byte, error) {
	if len(payload) < 2 {
		d.frag = nil
		return d.AV1Depacketizer.Unmarshal(payload)
	}
	h := payload[0]
	single := h&av1WMask == av1WOne
	switch {
	case d.frag != nil && single && h&av1Z != 0:
		if len(d.frag)+len(payload) > maxAV1Frag {
			d.frag = nil
			return nil, nil
		}
		d.frag = append(d.frag, payload[1:]...)
		if h&av1Y != 0 {
			return nil, nil // more to come
		}
		whole := append([]byte{d.head &^ av1Y}, d.frag...)
		d.frag = nil
		return d.AV1Depacketizer.Unmarshal(whole)
	case single && h&av1Y != 0 && h&av1Z == 0:
		d.head, d.frag = h, append(make([]byte, 0, 8*len(payload)), payload[1:]...)
		return nil, nil
	}
	if d.frag != nil && h&av1Z != 0 {
		// The run ends in a packet of several elements: pion takes what
		// is held as the fragment it holds itself (Y still set, so it
		// keeps it without a copy) and puts it before the first one.
		held := append([]byte{d.head}, d.frag...)
		d.frag = nil
		if _, err := d.AV1Depacketizer.Unmarshal(held); err != nil {
			return nil, err
		}
		return d.AV1Depacketizer.Unmarshal(payload)
	}
	d.frag = nil // a run broken off: pion drops what it cannot finish
	return d.AV1Depacketizer.Unmarshal(payload)
}
