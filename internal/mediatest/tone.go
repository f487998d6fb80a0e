package mediatest

import (
	"math"
	"time"
)

// fullScale is the amplitude of a 0 dBFS sine in 16-bit samples.
const fullScale = 32768

// Coefficients of the 4-term Blackman-Harris window. Its side lobes stay
// below −92 dB, so a tone more than 4/T Hz away (T the window length; 40 Hz
// for 100 ms) does not leak into the measurement. Our tones are at least
// 120 Hz apart.
const (
	bh0 = 0.35875
	bh1 = 0.48829
	bh2 = 0.14128
	bh3 = 0.01168
)

// ToneLevel estimates the peak amplitude, in dBFS, of a sine at hz in one
// channel of interleaved 16-bit PCM, over the samples from `from` to `to`
// (to <= 0 means the end). A sine of amplitude 0.063 of full scale reads
// −24 dB. It evaluates the windowed spectrum exactly at hz with the Goertzel
// recurrence, so there is no loss for frequencies between FFT bins. It
// returns −Inf if the range holds fewer than two samples or is silent at hz.
func ToneLevel(pcm []int16, channels, channel, sampleRate int, hz float64, from, to time.Duration) float64 {
	if channels <= 0 || channel < 0 || channel >= channels || sampleRate <= 0 {
		return math.Inf(-1)
	}
	frames := len(pcm) / channels
	first := min(max(sampleIndex(from, sampleRate), 0), frames)
	last := frames
	if to > 0 {
		last = min(max(sampleIndex(to, sampleRate), first), frames)
	}
	n := last - first
	if n < 2 {
		return math.Inf(-1)
	}
	omega := 2 * math.Pi * hz / float64(sampleRate)
	coeff := 2 * math.Cos(omega)
	var s1, s2, wsum float64
	for i := range n {
		w := window(i, n)
		wsum += w
		s0 := w*float64(pcm[(first+i)*channels+channel]) + coeff*s1 - s2
		s1, s2 = s0, s1
	}
	mag := math.Sqrt(max(s1*s1+s2*s2-coeff*s1*s2, 0))
	// A sine of amplitude A puts A/2·Σw into the window's spectrum at hz.
	return 20 * math.Log10(2*mag/wsum/fullScale)
}

// ToneLevels is ToneLevel of each channel: a mix must carry a tone in
// every channel, and leave an absent one out of each.
func ToneLevels(pcm []int16, channels, sampleRate int, hz float64, from, to time.Duration) []float64 {
	levels := make([]float64, max(channels, 0))
	for ch := range levels {
		levels[ch] = ToneLevel(pcm, channels, ch, sampleRate, hz, from, to)
	}
	return levels
}

func sampleIndex(d time.Duration, sampleRate int) int {
	return int(d * time.Duration(sampleRate) / time.Second)
}

// window is the Blackman-Harris weight of sample i of n.
func window(i, n int) float64 {
	c := math.Cos(2 * math.Pi * float64(i) / float64(n-1))
	// cos 2x = 2c² − 1 and cos 3x = 4c³ − 3c save two cosines per sample.
	return bh0 - bh1*c + bh2*(2*c*c-1) - bh3*(4*c*c*c-3*c)
}
