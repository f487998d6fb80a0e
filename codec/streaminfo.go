//go:build cgo

package codec

/*
#cgo pkg-config: libavformat libavutil
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>

// mcu_find_stream_info is avformat_find_stream_info with the decoders it
// opens to probe held to what mcu's own take: pictures of at most
// max_pixels, one thread each.
static int mcu_find_stream_info(AVFormatContext *fc, int64_t max_pixels) {
	unsigned n = fc->nb_streams;
	AVDictionary **opts = av_calloc(n ? n : 1, sizeof(*opts));
	if (!opts) return AVERROR(ENOMEM);
	int err = 0;
	for (unsigned i = 0; i < n && err >= 0; i++) {
		// Without its limit a probe would take any picture: no probe.
		err = av_dict_set_int(&opts[i], "max_pixels", max_pixels, 0);
		if (err >= 0) err = av_dict_set(&opts[i], "threads", "1", 0);
	}
	if (err >= 0) err = avformat_find_stream_info(fc, opts);
	for (unsigned i = 0; i < n; i++) av_dict_free(&opts[i]);
	av_free(opts);
	return err;
}
*/
import "C"

import (
	"errors"

	"github.com/asticode/go-astiav"
)

var avFormatContext = cStruct[astiav.FormatContext, C.AVFormatContext]()

// findStreamInfo reads fc's streams' parameters as FormatContext's
// FindStreamInfo does, but the decoders FFmpeg opens for it take no
// picture beyond MaxDecodePixels, as mcu's own: by default they take any,
// and a 200-byte IVF whose keyframe claims 16255x16255 made each opening
// of it hold 440 MB.
func findStreamInfo(fc *astiav.FormatContext) error {
	c := avFormatContext(fc)
	if c == nil {
		return errors.New("codec: go-astiav's FormatContext is not laid out as mcu expects")
	}
	if err := C.mcu_find_stream_info(c, C.int64_t(ffmpegMaxPixels)); err < 0 {
		return astiav.Error(err)
	}
	return nil
}
