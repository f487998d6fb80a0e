package audio

import (
	"math"
	"testing"
	"time"
)

// levelTolerance is the accuracy asked of Level on whole-period sines, in
// dB; the int16 rounding of the test tones costs far less than this.
const levelTolerance = 0.1

func TestLevel(t *testing.T) {
	square := make([]int16, FrameLen)
	for i := range square {
		square[i] = -32768
	}
	lsb := make([]int16, FrameLen)
	lsb[7] = 1
	minus20 := levelRef * math.Sqrt2 * math.Pow(10, -20.0/20)
	tests := []struct {
		name string
		pcm  []int16
		want float64
	}{
		{"digital silence", make([]int16, FrameLen), SilenceDBFS},
		{"empty", nil, SilenceDBFS},
		{"full-scale sine, 1 kHz", tone16(fullScale, 1000), -3.0103},
		{"−20 dBFS sine, 1 kHz", tone16(minus20, 1000), -20},
		{"−20 dBFS sine, 50 Hz", tone16(minus20, 50), -20},
		{"full-scale square", square, 0},
		{"one LSB in a frame", lsb, 20 * math.Log10(1/levelRef/math.Sqrt(float64(FrameLen)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Level(tt.pcm); math.Abs(got-tt.want) > levelTolerance {
				t.Fatalf("Level = %.4f dBFS, want %.4f", got, tt.want)
			}
		})
	}
}

func TestFormatConstants(t *testing.T) {
	tests := []struct {
		name      string
		got, want int
	}{
		{"FrameSamples", FrameSamples, 960},
		{"FrameLen", FrameLen, 1920},
		{"samples per second", FrameSamples * int(time.Second/FrameDuration), SampleRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("%s = %d, want %d", tt.name, tt.got, tt.want)
			}
		})
	}
}
