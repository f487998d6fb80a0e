package loadtest

import (
	"fmt"
	"path/filepath"
)

// Clip is what one simulated participant sends in a loop: a video file, an
// audio file, either, or one file holding both (then named twice).
type Clip struct {
	Video, Audio string
}

// String is the clip as it would be written on the command line.
func (c Clip) String() string {
	switch {
	case c.Video == c.Audio || c.Audio == "":
		return c.Video
	case c.Video == "":
		return c.Audio
	}
	return c.Video + "+" + c.Audio
}

// DefaultClipCount is how many testdata clips the default participants
// cycle through (p01..p09: VP8 video and Opus audio, 3 s each).
const DefaultClipCount = 9

// DefaultClips are the testdata clips of n participants: participant k
// (from 1) sends dir/pKK.ivf and dir/pKK.ogg, KK = k for k ≤ 9, then round
// robin.
func DefaultClips(dir string, n int) []Clip {
	clips := make([]Clip, n)
	for i := range clips {
		name := fmt.Sprintf("p%02d", i%DefaultClipCount+1)
		clips[i] = Clip{Video: filepath.Join(dir, name+".ivf"), Audio: filepath.Join(dir, name+".ogg")}
	}
	return clips
}

// Assign gives n participants their clips: the given ones reused round
// robin.
func Assign(clips []Clip, n int) []Clip {
	if len(clips) == 0 {
		return nil
	}
	out := make([]Clip, n)
	for i := range out {
		out[i] = clips[i%len(clips)]
	}
	return out
}
