package audio

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAccumulateAndMinus(t *testing.T) {
	tests := []struct {
		name    string
		inputs  [][]int16
		own     int // index into inputs subtracted, −1 = none
		wantAcc []int32
		wantOut []int32
	}{
		{
			name:    "two inputs, full mix",
			inputs:  [][]int16{{1, -2, 3, 32767}, {10, 20, -30, 32767}},
			own:     -1,
			wantAcc: []int32{11, 18, -27, 65534},
			wantOut: []int32{11, 18, -27, 65534},
		},
		{
			name:    "two inputs, minus first",
			inputs:  [][]int16{{1, -2, 3, 32767}, {10, 20, -30, 32767}},
			own:     0,
			wantAcc: []int32{11, 18, -27, 65534},
			wantOut: []int32{10, 20, -30, 32767},
		},
		{
			name:    "extremes do not wrap",
			inputs:  [][]int16{{-32768, 32767}, {-32768, 32767}, {-32768, 32767}},
			own:     2,
			wantAcc: []int32{-98304, 98301},
			wantOut: []int32{-65536, 65534},
		},
		{
			name:    "nil input is silence",
			inputs:  [][]int16{{5, -5}, nil, {1, 1}},
			own:     1,
			wantAcc: []int32{6, -4},
			wantOut: []int32{6, -4},
		},
		{
			name:    "empty frame",
			inputs:  [][]int16{{}, {}},
			own:     1,
			wantAcc: []int32{},
			wantOut: []int32{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := make([]int32, len(tt.wantAcc))
			for _, in := range tt.inputs {
				Accumulate(acc, in)
			}
			if !slices.Equal(acc, tt.wantAcc) {
				t.Fatalf("acc = %v, want %v", acc, tt.wantAcc)
			}
			var own []int16
			if tt.own >= 0 {
				own = tt.inputs[tt.own]
			}
			out := make([]int32, len(acc))
			MinusInto(out, acc, own)
			if !slices.Equal(out, tt.wantOut) {
				t.Fatalf("out = %v, want %v", out, tt.wantOut)
			}
		})
	}
}

func TestMixLengthMismatchPanics(t *testing.T) {
	tests := []struct {
		name string
		call func()
	}{
		{"Accumulate", func() { Accumulate(make([]int32, 4), make([]int16, 3)) }},
		{"MinusInto dst", func() { MinusInto(make([]int32, 3), make([]int32, 4), nil) }},
		{"MinusInto own", func() { MinusInto(make([]int32, 4), make([]int32, 4), make([]int16, 2)) }},
		{"Process", func() { NewLimiter(LimiterConfig{}).Process(make([]int16, 4), make([]int32, 2)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.call()
		})
	}
}

// TestMixMinusExact checks the property the mixer relies on: at normal
// levels every output, limiter included, is exactly the sum of the other
// participants, and the full mix exactly the sum of all.
func TestMixMinusExact(t *testing.T) {
	const frames = 5
	ceiling := int(NewLimiter(LimiterConfig{}).Ceiling())
	for n := 2; n <= 25; n++ {
		t.Run(fmt.Sprintf("%d participants", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			amp := ceiling / n // the full mix stays within the ceiling
			limiters := make([]*Limiter, n+1)
			delayed := make([]*delayLine, n+1)
			for k := range limiters {
				limiters[k] = NewLimiter(DefaultLimiterConfig())
				delayed[k] = newDelayLine(limiters[k])
			}
			sum := make([]int32, FrameLen)
			pcm := make([][]int16, n)
			for k := range pcm {
				pcm[k] = make([]int16, FrameLen)
			}
			acc := make([]int32, FrameLen)
			tmp := make([]int32, FrameLen)
			out := make([]int16, FrameLen)
			for range frames {
				for k := range pcm {
					for i := range pcm[k] {
						pcm[k][i] = int16(rng.IntN(2*amp+1) - amp)
					}
				}
				clear(acc)
				for _, p := range pcm {
					Accumulate(acc, p)
				}
				for k := 0; k <= n; k++ {
					var own []int16
					if k < n {
						own = pcm[k]
					}
					MinusInto(tmp, acc, own)
					limiters[k].Process(out, tmp)
					for i := range sum {
						sum[i] = 0
						for j, p := range pcm {
							if j != k {
								sum[i] += int32(p[i])
							}
						}
					}
					want := delayed[k].next(sum) // the limiter's delay
					for i := range out {
						if int32(out[i]) != want[i] {
							t.Fatalf("output %d sample %d = %d, want %d", k, i, out[i], want[i])
						}
					}
					if g := limiters[k].Gain(); g != 1 {
						t.Fatalf("output %d gain %v, want 1", k, g)
					}
				}
			}
		})
	}
}

// TestRamps: a frame faded in rises from silence at its first pair to
// almost its full value at its last, both channels alike, and the frame
// faded out is the rest of it, so the two add up to it exactly (a voice
// handed from one mix to another loses and gains nothing).
func TestRamps(t *testing.T) {
	src := make([]int16, FrameLen)
	for i := range src {
		src[i] = int16(rand.IntN(65536) - 32768)
	}
	src[FrameLen-2], src[FrameLen-1] = 32767, -32768
	in, out := make([]int16, FrameLen), make([]int16, FrameLen)
	RampIn(in, src)
	RampOut(out, src)
	for i := range src {
		if int32(in[i])+int32(out[i]) != int32(src[i]) {
			t.Fatalf("sample %d: in %d + out %d != %d", i, in[i], out[i], src[i])
		}
	}
	if in[0] != 0 || in[1] != 0 || out[0] != src[0] || out[1] != src[1] {
		t.Errorf("first pair: in %d %d, out %d %d; want silence and %d %d", in[0], in[1], out[0], out[1], src[0], src[1])
	}
	// The last pair at (FrameSamples-1)/FrameSamples of full scale.
	if want := int16(32767 * (FrameSamples - 1) / FrameSamples); in[FrameLen-2] != want || in[FrameLen-1] != -32733 {
		t.Errorf("last pair faded in: %d %d, want %d -32733", in[FrameLen-2], in[FrameLen-1], want)
	}
	// A constant frame faded in rises by at most one step a pair.
	flat := slices.Repeat([]int16{20000}, FrameLen)
	RampIn(in, flat)
	for i := 2; i < FrameLen; i += 2 {
		if d := in[i] - in[i-2]; d < 0 || d > 21 || in[i] != in[i+1] {
			t.Fatalf("pair %d: %d after %d (right %d)", i/2, in[i], in[i-2], in[i+1])
		}
	}
}
