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
