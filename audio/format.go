package audio

import "time"

// The one PCM format of the mixer.
const (
	// SampleRate is the sampling rate in Hz.
	SampleRate = 48000
	// Channels is the number of interleaved channels (left, right).
	Channels = 2
	// FrameDuration is the duration of one mixer frame.
	FrameDuration = 20 * time.Millisecond
	// FrameSamples is the number of samples per channel in one frame (960).
	FrameSamples = SampleRate * int(FrameDuration/time.Millisecond) / 1000
	// FrameLen is the number of interleaved int16 values in one frame (1920).
	FrameLen = FrameSamples * Channels
)

// MaxConcealFrames is the most lost sound made up for by the decoder's
// concealment in one gap, live or from a file, in frames (100 ms): by then
// concealment has faded out, and the rest of a longer gap is silence.
const MaxConcealFrames = 5

// fullScale is the largest positive int16 sample value.
const fullScale = 32767
