package loadtest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"mcu/codec"
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

// Probe tells which streams a media file holds. A missing file must give an
// error wrapping fs.ErrNotExist.
type Probe func(path string) (video, audio bool, err error)

// ProbeFile is the Probe that opens the file with codec.OpenInput, which
// recognises it by content.
func ProbeFile(path string) (video, audio bool, err error) {
	in, err := codec.OpenInput(path)
	if err != nil {
		return false, false, err
	}
	defer in.Close()
	return in.Video() != nil, in.Audio() != nil, nil
}

// ParseParticipant reads a PARTICIPANT argument as `mcu mix` does: VIDEO,
// AUDIO or VIDEO+AUDIO, each file recognised by content (so the order
// around "+" does not matter, and "a.webm" alone may give both). A name
// that exists as a whole is not split at "+".
func ParseParticipant(arg string, probe Probe) (Clip, error) {
	parts := []string{arg}
	if strings.Contains(arg, "+") {
		if _, _, err := probe(arg); errors.Is(err, fs.ErrNotExist) {
			parts = strings.Split(arg, "+")
		}
	}
	var c Clip
	for _, path := range parts {
		if path == "" {
			return Clip{}, fmt.Errorf("%q: empty file name", arg)
		}
		video, audio, err := probe(path)
		if err != nil {
			return Clip{}, err
		}
		if !video && !audio {
			return Clip{}, fmt.Errorf("%q: %s has neither video nor Opus audio", arg, path)
		}
		if video {
			if c.Video != "" {
				return Clip{}, fmt.Errorf("%q: two video files (%s, %s) for one participant", arg, c.Video, path)
			}
			c.Video = path
		}
		if audio {
			if c.Audio != "" {
				return Clip{}, fmt.Errorf("%q: two audio files (%s, %s) for one participant", arg, c.Audio, path)
			}
			c.Audio = path
		}
	}
	return c, nil
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
