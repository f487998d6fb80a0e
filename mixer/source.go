package mixer

import (
	"context"
	"image"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// VideoSource gives the compositor a participant's pictures.
type VideoSource interface {
	// VideoAt returns the picture to show at media time t: the newest one
	// whose PTS is at or before t, or nil when there is none yet. A live
	// source returns at once with what it has; an offline source blocks
	// until it knows. The frame stays valid and unchanged until the next
	// call; a picture returned again keeps its Seq. A source that fails
	// returns its last picture with the error, if it has one: the tile
	// shows it (without one, the tile keeps what it shows until the
	// layout changes, then shows the placeholder).
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

// BoxedSource is a VideoSource that can deliver its pictures already
// cropped and scaled: the mixer tells it the size of its tile and how the
// picture fills it, and the source does the scaling in its own goroutine,
// in parallel with the others (see codec.VideoDecoder.ReceiveScaled). A
// delivered picture records its decoded size in SourceWidth/SourceHeight;
// it should be what layout.Place(source size, box, aspect) gives, and the
// mixer scales whatever does not match (for the few pictures decoded before
// a change of layout reached the source).
// InTile does that arithmetic.
type BoxedSource interface {
	VideoSource
	// SetBox is called from the mixer goroutine when the tile changes.
	SetBox(box layout.Size, aspect layout.Aspect)
}

// InTile is how a decoded w×h picture is cropped and scaled for a tile of
// the given size: the crop and the picture size a BoxedSource's decoder
// passes back as its codec.Target.
func InTile(w, h int, box layout.Size, aspect layout.Aspect) (crop image.Rectangle, size image.Point) {
	dst, c := layout.Place(layout.Size{W: w, H: h}, box.Rect(), aspect)
	return rect(c), image.Pt(dst.W, dst.H)
}
