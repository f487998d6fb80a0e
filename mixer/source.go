package mixer

import (
	"context"
	"time"

	"mcu/codec"
)

// VideoSource gives the compositor a participant's pictures.
type VideoSource interface {
	// VideoAt returns the picture to show at media time t: the newest one
	// whose PTS is at or before t, or nil when there is none yet. A live
	// source returns at once with what it has; an offline source blocks
	// until it knows. The frame stays valid and unchanged until the next
	// call; a picture returned again keeps its Seq.
	VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error)
}

// AudioSource gives the mixer a participant's sound, 20 ms at a time.
type AudioSource interface {
	// AudioAt fills pcm (audio.FrameLen interleaved stereo samples at
	// 48 kHz) with the 20 ms that start at media time t and reports whether
	// there was any sound; false means silence. Calls come every 20 ms in
	// order. A live source returns at once; an offline one blocks until it
	// has decoded that far.
	AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error)
}
