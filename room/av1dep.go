package room

import (
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/rtp/codecs/av1/obu"
)

// av1Depacketizer is pion's AV1 depacketizer with the fragments of an OBU
// that spans packets put together first. pion's copies the OBU so far at
// every fragment: an OBU of 1000 packets cost 578 MB of copies. The last
// element of a packet that goes on in the next (Y) is held (what comes
// before it goes to pion at once, as a packet of its own), and the
// fragments that follow it (Z, each alone in its packet) are appended,
// until the last one: pion then gets one packet with the whole OBU. A run
// that ends in a packet of several elements hands pion what is held first,
// as the fragment it would hold itself. Anything else goes to pion as it
// is.
type av1Depacketizer struct {
	codecs.AV1Depacketizer
	// frag is the packet pion gets for the OBU held: a header byte, then
	// the OBU's fragments so far (nil: none held).
	frag []byte
}

// Aggregation header bits (AV1 RTP payload format, 4.4).
const (
	av1Z     = 0x80 // the first element continues the packet before's
	av1Y     = 0x40 // the last element goes on in the next packet
	av1WMask = 0x30 // elements in the packet, 0: each with its length
	av1WOne  = 0x10
	av1N     = 0x08 // the packet begins a coded video sequence
	// held is the header of the packet pion gets for a held OBU: one
	// element, going on (cleared when it is whole).
	av1Held = av1Y | av1WOne
)

var _ rtp.Depacketizer = (*av1Depacketizer)(nil)

// av1Element reads the element of an AV1 packet's payload at off: where
// its data starts and ends; one not sized (the last of a count W) runs to
// the end. ok is false if its length does not parse or runs past the end.
func av1Element(payload []byte, off int, sized bool) (dataAt, end int, ok bool) {
	if !sized {
		return off, len(payload), true
	}
	size, n, err := obu.ReadLeb128(payload[off:])
	if err != nil || n == 0 || uint(len(payload)-off-int(n)) < size {
		return 0, 0, false
	}
	return off + int(n), off + int(n) + int(size), true
}

// av1FirstElement returns the first element of an AV1 packet's payload
// (nil if it does not parse): one OBU, or its first fragment.
func av1FirstElement(payload []byte) []byte {
	if len(payload) < 2 {
		return nil
	}
	dataAt, end, ok := av1Element(payload, 1, payload[0]&av1WMask != av1WOne)
	if !ok {
		return nil
	}
	return payload[dataAt:end]
}

// av1LastElement returns where payload's last element starts (its length
// field, if it has one: lengthAt) and its data (from dataAt), and how many
// elements come before it; ok false if payload does not parse.
func av1LastElement(payload []byte) (lengthAt, dataAt, before int, ok bool) {
	w := int(payload[0]&av1WMask) >> 4
	off := 1
	for i := 0; off < len(payload); i++ {
		last := w != 0 && i == w-1 // without a length
		dataAt, end, ok := av1Element(payload, off, !last)
		switch {
		case !ok:
			return 0, 0, 0, false
		case last || end == len(payload):
			return off, dataAt, i, last || w == 0
		}
		off = end
	}
	return 0, 0, 0, false
}

func (d *av1Depacketizer) Unmarshal(payload []byte) ([]byte, error) {
	if len(payload) < 2 {
		d.frag = nil
		return d.AV1Depacketizer.Unmarshal(payload)
	}
	h := payload[0]
	lengthAt, dataAt, before, ok := av1LastElement(payload)
	if !ok {
		d.frag = nil
		return d.AV1Depacketizer.Unmarshal(payload)
	}
	if d.frag != nil {
		switch {
		case h&av1Z == 0:
			d.frag = nil // a run broken off: pion drops it too
		case before == 0:
			// The next fragment, alone in its packet.
			d.frag = append(d.frag, payload[dataAt:]...)
			if h&av1Y != 0 {
				return nil, nil // more to come
			}
			whole := d.frag
			whole[0] = av1Held &^ av1Y
			d.frag = nil
			return d.AV1Depacketizer.Unmarshal(whole)
		default:
			// The run ends in a packet of several elements: pion holds
			// what is held, as the fragment it would hold itself (no
			// copy), and puts it before the packet's first element.
			held := d.frag // its header says it goes on
			d.frag = nil
			if _, err := d.AV1Depacketizer.Unmarshal(held); err != nil {
				return nil, err
			}
		}
	}
	if h&av1Y == 0 || before == 0 && h&av1Z != 0 {
		// Nothing to hold, or a fragment pion holds the start of (or
		// whose start was lost).
		return d.AV1Depacketizer.Unmarshal(payload)
	}
	// Hold the last element; what comes before it goes to pion now, as a
	// packet of elements with their lengths.
	d.frag = append(append(make([]byte, 0, 8*len(payload)), av1Held), payload[dataAt:]...)
	if before == 0 {
		return nil, nil
	}
	// W = 0: every element has its length, as all but the last had.
	rest := append([]byte{h &^ (av1Y | av1WMask)}, payload[1:lengthAt]...)
	return d.AV1Depacketizer.Unmarshal(rest)
}
