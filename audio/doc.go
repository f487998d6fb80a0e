// Package audio is the pure-Go arithmetic of the room's audio mixer: summing
// participants, mix-minus, peak limiting, level metering and active-speaker
// detection.
//
// Every buffer uses one format: 48 kHz, stereo, interleaved int16 PCM in
// 20 ms frames (FrameSamples sample pairs, FrameLen int16 values). Time is
// counted in frames, never read from a clock, so everything here is
// deterministic and needs no goroutines, I/O or cgo.
//
// One 20 ms tick of the mixer looks like this:
//
//	clear(acc)                        // acc []int32, len FrameLen
//	for _, pcm := range inputs {      // a nil pcm is silence
//		audio.Accumulate(acc, pcm)
//	}
//	full.Process(out, acc)            // full mix, for viewers and the recorder
//	for k, pcm := range inputs {
//		audio.MinusInto(tmp, acc, pcm) // mix-minus: nobody hears themselves
//		limiters[k].Process(outs[k], tmp) // one Limiter per output stream
//		levels[k] = audio.Level(pcm)
//	}
//	speaker := detector.Update(levels)
//
// Sums are kept in int32 so that no participant is clipped before the
// subtraction: acc − pcm_k is then exactly the sum of the others, and a
// Limiter passes it through unchanged while it stays below the threshold.
// Only the final int32 → int16 step (Limiter.Process) reduces gain.
package audio
