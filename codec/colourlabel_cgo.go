//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec libavutil
#include <libavcodec/codec_par.h>
#include <libavutil/pixfmt.h>

static void mcu_label_bt601(AVCodecParameters *p) {
	p->color_space = AVCOL_SPC_SMPTE170M;
	p->color_primaries = AVCOL_PRI_SMPTE170M;
	p->color_trc = AVCOL_TRC_SMPTE170M;
	p->color_range = AVCOL_RANGE_MPEG;
}
*/
import "C"

import "github.com/asticode/go-astiav"

// LabelBT601 says in a stream's parameters that its pictures are BT.601
// in video range, as the mix is: a WebM muxer then writes a Colour
// element. Unlabelled, players guess from the size (mpv, VLC and Kodi
// take video 1280 wide or more for BT.709) and the colours of a 720p
// recording shift. It reports whether the parameters could be labelled.
func LabelBT601(cp *astiav.CodecParameters) bool {
	p := avCodecParameters(cp)
	if p == nil {
		return false
	}
	C.mcu_label_bt601(p)
	return true
}
