//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec
#include <libavcodec/codec_id.h>
*/
import "C"

import "github.com/asticode/go-astiav"

// codecIDAV1 is FFmpeg's id for AV1, which go-astiav v0.16.0 does not name.
const codecIDAV1 = astiav.CodecID(C.AV_CODEC_ID_AV1)

// ffmpegIDs are FFmpeg's ids of the video formats mcu decodes: the decoder
// to open, and the streams a file may hold.
var ffmpegIDs = map[VideoCodec]astiav.CodecID{
	VP8: astiav.CodecIDVp8, VP9: astiav.CodecIDVp9, H264: astiav.CodecIDH264, AV1: codecIDAV1,
}

// videoCodecOf is the format FFmpeg's id names, if mcu decodes it.
func videoCodecOf(id astiav.CodecID) (VideoCodec, bool) {
	for c, cid := range ffmpegIDs {
		if cid == id {
			return c, true
		}
	}
	return 0, false
}
