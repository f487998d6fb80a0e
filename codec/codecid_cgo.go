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
