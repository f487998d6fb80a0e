//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec
#include <libavcodec/avcodec.h>
*/
import "C"

import (
	"errors"

	"github.com/asticode/go-astiav"
)

// SetOpusPadding records in cp, an Opus stream's parameters, the samples
// OpusEncoder's streams begin with that players drop (OpusPreSkip). FFmpeg's
// WebM muxer writes it as the track's CodecDelay, which Matroska asks to
// equal the pre-skip of the OpusHead in CodecPrivate; an absent one counts
// as zero. Firefox checks the two: older releases refused the track when
// they differed, current ones warn. go-astiav v0.16.0 has no setter for it.
func SetOpusPadding(cp *astiav.CodecParameters) error {
	c := avCodecParameters(cp)
	if c == nil {
		return errors.New("codec: go-astiav's CodecParameters is not laid out as mcu expects")
	}
	c.initial_padding = OpusPreSkip
	return nil
}
