package audio

import "math"

// SilenceDBFS is the level reported for digital silence, the bottom of the
// RFC 6464 range. The quietest non-silent frame (a single ±1 sample) measures
// about −123 dBFS, so silence stays distinguishable.
const SilenceDBFS = -127.0

// levelRef is the reference of the dBFS scale: a square wave at this
// amplitude is 0 dBFS and a full-scale sine about −3.01 dBFS, as in the
// dBov of RFC 6464 / ITU-T G.100.1.
const levelRef = 32768.0

// Level returns the RMS level of pcm in dBFS, over both channels, between
// SilenceDBFS (all zero or empty) and 0.
func Level(pcm []int16) float64 {
	var sum uint64
	for _, s := range pcm {
		v := int64(s)
		sum += uint64(v * v)
	}
	if sum == 0 {
		return SilenceDBFS
	}
	meanSquare := float64(sum) / float64(len(pcm)) / (levelRef * levelRef)
	return max(SilenceDBFS, 10*math.Log10(meanSquare))
}
