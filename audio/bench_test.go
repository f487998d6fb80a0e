package audio

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchInputs returns n participants' frames: quiet random PCM (a normal
// meeting) or loud tones whose sum needs limiting.
func benchInputs(n int, loud bool) [][]int16 {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	in := make([][]int16, n)
	for k := range in {
		if loud {
			in[k] = tone16(0.8*fullScale, 200+float64(50*k))
			continue
		}
		in[k] = make([]int16, FrameLen)
		for i := range in[k] {
			in[k][i] = int16(rng.IntN(2001) - 1000)
		}
	}
	return in
}

// reportFrame reports the time per 20 ms frame and how many such frames
// fit in real time on one core.
func reportFrame(b *testing.B) {
	perFrame := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perFrame, "ns/frame")
	b.ReportMetric(float64(FrameDuration.Nanoseconds())/perFrame, "x-realtime")
}

// BenchmarkOutput is one output stream of one frame: sum three
// participants, subtract one, limit (the loud case's remaining two tones
// peak at 1.6 full scale).
func BenchmarkOutput(b *testing.B) {
	for _, loud := range []bool{false, true} {
		name := "quiet"
		if loud {
			name = "loud"
		}
		b.Run(name, func(b *testing.B) {
			in := benchInputs(3, loud)
			l := NewLimiter(DefaultLimiterConfig())
			acc := make([]int32, FrameLen)
			tmp := make([]int32, FrameLen)
			out := make([]int16, FrameLen)
			for b.Loop() {
				clear(acc)
				for _, pcm := range in {
					Accumulate(acc, pcm)
				}
				MinusInto(tmp, acc, in[0])
				l.Process(out, tmp)
			}
			reportFrame(b)
		})
	}
}

// BenchmarkMixMinus25 is the whole audio tick of a 25-participant room:
// the sum, the full mix and 25 mix-minus outputs each through its own
// limiter, 25 levels and the speaker detector.
func BenchmarkMixMinus25(b *testing.B) {
	const n = 25
	for _, loud := range []bool{false, true} {
		name := "quiet"
		if loud {
			name = "loud"
		}
		b.Run(name, func(b *testing.B) {
			in := benchInputs(n, loud)
			limiters := make([]*Limiter, n+1)
			outs := make([][]int16, n+1)
			for k := range limiters {
				limiters[k] = NewLimiter(DefaultLimiterConfig())
				outs[k] = make([]int16, FrameLen)
			}
			det := NewSpeakerDetector(SpeakerConfig{Hold: time.Second})
			acc := make([]int32, FrameLen)
			tmp := make([]int32, FrameLen)
			levels := make([]float64, n)
			for b.Loop() {
				clear(acc)
				for _, pcm := range in {
					Accumulate(acc, pcm)
				}
				MinusInto(tmp, acc, nil)
				limiters[n].Process(outs[n], tmp)
				for k, pcm := range in {
					MinusInto(tmp, acc, pcm)
					limiters[k].Process(outs[k], tmp)
					levels[k] = Level(pcm)
				}
				det.Update(levels)
			}
			reportFrame(b)
		})
	}
}
