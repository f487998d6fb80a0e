//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec
#include <libavcodec/avcodec.h>
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// SetOpusPadding records in cp, an Opus stream's parameters, the samples
// OpusEncoder's streams begin with that players drop (OpusPreSkip). FFmpeg's
// WebM muxer writes it as the track's CodecDelay, which Matroska asks to
// equal the pre-skip of the OpusHead in CodecPrivate; an absent one counts
// as zero. Firefox checks the two: older releases refused the track when
// they differed, current ones warn. go-astiav v0.16.0 has no setter for it.
func SetOpusPadding(cp *astiav.CodecParameters) error {
	if !codecParametersLayout() {
		return errors.New("codec: go-astiav's CodecParameters is not laid out as mcu expects")
	}
	c := *(**C.AVCodecParameters)(unsafe.Pointer(cp))
	c.initial_padding = OpusPreSkip
	return nil
}

var codecParametersLayout = sync.OnceValue(func() bool {
	return firstFieldIsC[astiav.CodecParameters]("_Ctype_struct_AVCodecParameters", C.sizeof_AVCodecParameters)
})
