package audio

// Accumulate adds src into the int32 accumulator acc, sample by sample. A
// nil src is silence and adds nothing; otherwise the slices must have the
// same length (Accumulate panics if not). An int32 accumulator holds the
// sum of 65536 full-scale inputs without overflow, far more than any room.
func Accumulate(acc []int32, src []int16) {
	if src == nil {
		return
	}
	if len(acc) != len(src) {
		panic("audio: Accumulate: len(acc) != len(src)")
	}
	src = src[:len(acc)]
	for i, s := range src {
		acc[i] += int32(s)
	}
}

// MinusInto writes acc − own into dst: the mix-minus of the participant
// whose PCM is own. A nil own (a silent participant, as for Accumulate)
// subtracts nothing and dst receives a copy of acc (the full mix). dst, acc and a non-nil own must have the same
// length; MinusInto panics otherwise. dst may be acc itself.
func MinusInto(dst, acc []int32, own []int16) {
	if len(dst) != len(acc) {
		panic("audio: MinusInto: len(dst) != len(acc)")
	}
	if own == nil {
		copy(dst, acc)
		return
	}
	if len(own) != len(acc) {
		panic("audio: MinusInto: len(own) != len(acc)")
	}
	dst = dst[:len(acc)]
	own = own[:len(acc)]
	for i, a := range acc {
		dst[i] = a - int32(own[i])
	}
}

// RampIn writes into dst the frame src faded in: its gain rises in a
// straight line from 0 at the first sample pair to almost 1 at the last.
// The frame faded out is src minus that (RampOut), so the two together
// are src exactly. dst and src must be one frame (FrameLen).
func RampIn(dst, src []int16) {
	if len(dst) != FrameLen || len(src) != FrameLen {
		panic("audio: RampIn: not a frame")
	}
	for i, s := range src {
		dst[i] = int16(int32(s) * int32(i/Channels) / int32(FrameSamples))
	}
}

// RampOut writes into dst the frame src faded out: src minus RampIn's.
func RampOut(dst, src []int16) {
	RampIn(dst, src)
	for i, s := range src {
		dst[i] = s - dst[i]
	}
}
