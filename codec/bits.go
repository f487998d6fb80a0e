package codec

// bitReader reads bits, the most significant first. With rbsp set it
// reads the payload of an H.264 NAL unit, skipping its emulation prevention
// bytes (the 3 of 00 00 03). A read past the end sets err and gives zeros.
type bitReader struct {
	b     []byte
	rbsp  bool
	pos   int // byte
	bit   int // next bit in b[pos], 0 the most significant
	zeros int // zero bytes just read, for emulation prevention
	err   bool
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for range n {
		if r.rbsp && r.bit == 0 && r.zeros >= 2 && r.pos < len(r.b) && r.b[r.pos] == 3 {
			r.pos++ // emulation prevention byte
			r.zeros = 0
		}
		if r.pos >= len(r.b) {
			r.err = true
			return 0
		}
		v = v<<1 | uint32(r.b[r.pos]>>(7-r.bit)&1)
		if r.bit++; r.bit == 8 {
			if r.b[r.pos] == 0 {
				r.zeros++
			} else {
				r.zeros = 0
			}
			r.pos, r.bit = r.pos+1, 0
		}
	}
	return v
}

// ue reads an Exp-Golomb ue(v) of up to 32 bits.
func (r *bitReader) ue() uint32 {
	lead := 0
	for r.bits(1) == 0 {
		if r.err || lead == 31 {
			r.err = true
			return 0
		}
		lead++
	}
	return 1<<lead - 1 + r.bits(lead)
}

// seiNumber reads an SEI message's payload type or size: bytes of 0xFF,
// each adding 255, then the last byte (H.264 7.3.2.3.1).
func (r *bitReader) seiNumber() int {
	n := 0
	for {
		b := int(r.bits(8))
		n += b
		if b != 0xff || r.err {
			return n
		}
	}
}

// se reads an Exp-Golomb se(v).
func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32(k/2 + 1)
	}
	return -int32(k / 2)
}
