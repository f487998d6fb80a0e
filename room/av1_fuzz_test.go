package room

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// splitPackets cuts in into packets: a length byte, then that many bytes.
func splitPackets(in []byte) [][]byte {
	var pkts [][]byte
	for len(in) > 0 {
		n := int(in[0])
		in = in[1:]
		n = min(n, len(in))
		pkts = append(pkts, in[:n])
		in = in[n:]
	}
	return pkts
}

// av1Conformant reports whether p is an AV1 RTP payload as the payload
// format has them: N not on a fragment going on (Z), and W either 0 (every
// element sized, to the end) or the number of elements, the last unsized
// and not empty.
func av1Conformant(p []byte) bool {
	if len(p) < 2 || p[0]&(av1Z|av1N) == av1Z|av1N {
		return false
	}
	w := int(p[0]&av1WMask) >> 4
	off := 1
	for i := 0; ; i++ {
		if w != 0 && i == w-1 {
			return off < len(p)
		}
		if off == len(p) {
			return w == 0 && i > 0
		}
		size, n := uint64(0), 0
		for ; n < 8 && off+n < len(p); n++ {
			size |= uint64(p[off+n]&0x7f) << (7 * n)
			if p[off+n]&0x80 == 0 {
				break
			}
		}
		if off+n >= len(p) || n == 8 {
			return false
		}
		off += n + 1
		if size > uint64(len(p)-off) {
			return false
		}
		off += int(size)
	}
}

// FuzzAV1Depacketizer: any run of AV1 payloads goes through mcu's
// depacketizer without a panic, holds no more than what it was given,
// and, where pion's own takes every packet, comes out as pion's.
func FuzzAV1Depacketizer(f *testing.F) {
	f.Add([]byte{6, 0x20, 0x02, 0x30, 0x00, 0x30, 0x01})
	f.Add([]byte{4, 0x50, 0x30, 0xaa, 0xbb, 6, 0xa0, 0x02, 0xcc, 0xdd, 0x30, 0xee})
	f.Add([]byte{6, 0x68, 0x02, 0x08, 0x00, 0x30, 0xaa, 3, 0xd0, 0xbb, 0xcc, 2, 0x90, 0xdd})
	f.Add([]byte{3, 0x50, 0x30, 0x01, 3, 0x10, 0x30, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		ours, pions := &av1Depacketizer{}, &codecs.AV1Depacketizer{}
		var a, b []byte
		given := 0
		pionOK := true
		for _, p := range splitPackets(in) {
			given += len(p)
			x, errA := ours.Unmarshal(p)
			y, errB := pions.Unmarshal(p)
			if errB != nil || !av1Conformant(p) {
				// pion refused it, or it is no packet a sender makes:
				// there the two may differ
				pionOK = false
			}
			_ = errA
			a, b = append(a, x...), append(b, y...)
			if len(ours.frag) > given+1 {
				t.Fatalf("holds %d bytes of %d given", len(ours.frag), given)
			}
		}
		if pionOK && !bytes.Equal(a, b) {
			t.Fatalf("out %x, pion's %x", a, b)
		}
	})
}

// FuzzFrameAssemblerAV1VP9: AV1 and VP9 packets of any payload, numbers
// and markers neither panic nor stall the assembler, and no frame it
// emits is larger than the payloads pushed (with the depacketizer's
// headers: OBU sizes, at most 8 bytes an element).
func FuzzFrameAssemblerAV1VP9(f *testing.F) {
	f.Add(false, []byte{6, 0x00, 0x20, 0x02, 0x30, 0x00, 0x30, 0x01})
	f.Add(true, []byte{4, 0x01, 0x88, 0x80, 0x01, 0x82, 4, 0x02, 0x84, 0x80, 0x01, 0x82})
	f.Fuzz(func(t *testing.T, vp9 bool, in []byte) {
		dep := func() rtp.Depacketizer { return &av1Depacketizer{} }
		if vp9 {
			dep = func() rtp.Depacketizer { return &codecs.VP9Packet{} }
		}
		a := newFrameAssembler(dep)
		now := time.Unix(0, 0)
		seq := uint16(0)
		pushed := 0
		for i, p := range splitPackets(in) {
			if len(p) == 0 {
				continue
			}
			ctl, payload := p[0], p[1:]
			seq += uint16(int8(ctl>>2)) / 4 // mostly next, now and then a jump
			seq++
			pushed += len(payload)
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(i) * 3000, Marker: ctl&1 != 0}, Payload: payload}
			a.push(wire(t, pkt), now.Add(time.Duration(i)*10*time.Millisecond), func(fr assembled) {
				if len(fr.data) > 9*pushed+64 {
					t.Fatalf("a frame of %d bytes from %d pushed", len(fr.data), pushed)
				}
			})
			if ctl&2 != 0 {
				a.drain(now.Add(time.Duration(i)*10*time.Millisecond+time.Second), func(assembled) {})
			}
		}
	})
}
