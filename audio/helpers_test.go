package audio

import (
	"encoding/binary"
	"math"
	"slices"
)

// tone adds a stereo sine of peak amplitude amp (in int16 units; it may
// exceed full scale) and frequency freq to frame, whose first pair is pair
// number start of the stream, so consecutive frames join without a jump.
// The right channel is rightGain times the left one.
func tone(frame []int32, amp, freq, rightGain float64, start int) {
	for i := range len(frame) / Channels {
		v := amp * math.Sin(2*math.Pi*freq*float64(start+i)/SampleRate)
		frame[2*i] += int32(math.Round(v))
		frame[2*i+1] += int32(math.Round(v * rightGain))
	}
}

// toneFrame returns frame number n of a stream built by tone.
func toneFrame(n int, amp, freq, rightGain float64) []int32 {
	f := make([]int32, FrameLen)
	tone(f, amp, freq, rightGain, n*FrameSamples)
	return f
}

// tone16 returns one frame of a stereo int16 sine (both channels equal).
func tone16(amp, freq float64) []int16 {
	f := make([]int16, FrameLen)
	for i := range FrameSamples {
		v := int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/SampleRate)))
		f[2*i], f[2*i+1] = v, v
	}
	return f
}

// int32Bytes encodes samples little-endian, the input format of FuzzLimiter.
func int32Bytes(s []int32) []byte {
	b := make([]byte, 4*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

// bytesInt32 decodes int32Bytes, ignoring a trailing partial sample.
func bytesInt32(b []byte) []int32 {
	s := make([]int32, len(b)/4)
	for i := range s {
		s[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}

// peak16 returns the largest magnitude in s.
func peak16(s []int16) int {
	p := 0
	for _, v := range s {
		p = max(p, int(math.Abs(float64(v))))
	}
	return p
}

// longestRunAt returns the longest run of consecutive samples of one
// channel whose magnitude equals c: the signature of hard clipping.
func longestRunAt(s []int16, c int16) int {
	longest := 0
	for ch := range Channels {
		run := 0
		for i := ch; i < len(s); i += Channels {
			if s[i] == c || s[i] == -c {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return longest
}

// maxAbs returns the largest magnitude in s.
func maxAbs(s []int32) int64 {
	var lo, hi int32
	for _, x := range s {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	return max(-int64(lo), int64(hi))
}

// delayLine is what a Limiter's output is made of: its input, Delay pairs
// late. next takes the input of a Process call and returns, sample for
// sample, the input its output stands for.
type delayLine struct{ hist []int32 }

func newDelayLine(l *Limiter) *delayLine {
	return &delayLine{hist: make([]int32, l.Delay()*Channels)}
}

func (d *delayLine) next(in []int32) []int32 {
	ext := append(slices.Clone(d.hist), in...)
	d.hist = slices.Clone(ext[len(in):])
	return ext[:len(in)]
}

// int16s is s as int16, each value cut to 16 bits.
func int16s(s []int32) []int16 {
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = int16(v)
	}
	return out
}
