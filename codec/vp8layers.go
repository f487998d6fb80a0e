//go:build cgo

package codec

/*
#cgo pkg-config: libavutil vpx
#include <stdio.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <vpx/vp8cx.h>

// mcu_frame_vp8_flags sets the libvpx per-frame flags FFmpeg's libvpx
// wrapper ORs into those of the frame's vpx_codec_encode (the frame's
// metadata entry "vp8-flags", a decimal number), or removes the entry when
// flags is 0. The dictionary belongs to the frame: av_frame_unref and
// av_frame_free free it, and removing its last entry frees it too.
static int mcu_frame_vp8_flags(AVFrame *f, unsigned long flags) {
	if (flags == 0) {
		return f->metadata == NULL ? 0 : av_dict_set(&f->metadata, "vp8-flags", NULL, 0);
	}
	char s[24];
	snprintf(s, sizeof s, "%lu", flags);
	return av_dict_set(&f->metadata, "vp8-flags", s, 0);
}
*/
import "C"

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// vp8DroppableFlags make libvpx encode a frame that leaves every reference
// buffer (last, golden, alt-ref) and the entropy contexts as they were, so
// no later frame depends on it.
const vp8DroppableFlags = C.VP8_EFLAG_NO_UPD_LAST | C.VP8_EFLAG_NO_UPD_GF | C.VP8_EFLAG_NO_UPD_ARF | C.VP8_EFLAG_NO_UPD_ENTROPY

// SetTwoLayers turns the two-layer (temporal) pattern on or off from the
// next EncodePicture on. While on, frames alternate between reference
// frames and droppable ones (EncodedFrame.Droppable), starting with a
// reference frame, so a receiver short of bandwidth or CPU can be sent
// every second frame only, at half the frame rate, without a keyframe.
// A keyframe (asked for, periodic, or after a reopening) is a reference
// frame and starts the alternation again: the frame after it is
// droppable. Off, the encoder codes every frame as it always has.
func (e *VP8Encoder) SetTwoLayers(on bool) {
	if on != e.twoLayers {
		e.twoLayers, e.nextDroppable = on, false
	}
}

// TwoLayers reports whether the two-layer pattern is on (SetTwoLayers).
func (e *VP8Encoder) TwoLayers() bool { return e.twoLayers }

// setVP8Flags has FFmpeg's libvpx wrapper encode f with the libvpx
// per-frame flags, or with none when flags is 0.
func setVP8Flags(f *astiav.Frame, flags uint) error {
	if r := C.mcu_frame_vp8_flags((*C.AVFrame)(f.UnsafePointer()), C.ulong(flags)); r < 0 {
		return fmt.Errorf("codec: vp8 frame flags %#x: %w", flags, astiav.Error(r))
	}
	return nil
}
