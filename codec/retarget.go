//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec vpx
#include <libavcodec/avcodec.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// mcu_vpx_head is how the private context of FFmpeg's libvpx wrapper
// begins (libavcodec/libvpxenc.c, the same from FFmpeg 0.7 to 7.1): its
// AVClass, then the libvpx encoder.
struct mcu_vpx_head {
	const AVClass *class;
	vpx_codec_ctx_t encoder;
};

// mcu_vp8_retarget sets the target bitrate of the running libvpx VP8
// encoder inside cc, as WebRTC's own VP8 wrapper does for every rate
// change: the same configuration with another rc_target_bitrate. It
// returns 1 when cc does not hold the libvpx VP8 encoder where expected (so
// nothing was touched), a negative libvpx error code on failure, 0 on
// success. The check compares pointers only, never following one that
// might not be what it seems.
static int mcu_vp8_retarget(AVCodecContext *cc, unsigned kbps) {
	if (cc == NULL || cc->av_class != avcodec_get_class() || cc->codec_id != AV_CODEC_ID_VP8) return 1;
	struct mcu_vpx_head *h = cc->priv_data;
	if (h == NULL || h->encoder.iface != vpx_codec_vp8_cx() || h->encoder.config.enc == NULL) return 1;
	vpx_codec_enc_cfg_t cfg = *h->encoder.config.enc;
	cfg.rc_target_bitrate = kbps;
	vpx_codec_err_t err = vpx_codec_enc_config_set(&h->encoder, &cfg);
	return err == VPX_CODEC_OK ? 0 : -(int)err;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// errNoRetarget: the encoder cannot change its bitrate while running (a
// wrapper laid out otherwise than mcu knows), so it must be reopened.
var errNoRetarget = errors.New("codec: vp8 encoder cannot be retargeted in place")

// retarget changes the running encoder's target bitrate (bits per second)
// without a restart or a keyframe. FFmpeg 5.1's libvpx wrapper reads its
// bitrate only when it opens, so this reaches the libvpx encoder it holds.
func (e *VP8Encoder) retarget(bps int) error {
	switch r := C.mcu_vp8_retarget(avCodecContext(e.cc), C.uint((bps+500)/1000)); {
	case r == 1:
		return errNoRetarget
	case r < 0:
		return fmt.Errorf("codec: vp8 bitrate %d: libvpx error %d", bps, -r)
	}
	e.cc.SetBitRate(int64(bps))
	return nil
}

// avCodecContext is the FFmpeg context behind cc: go-astiav v0.16.0 (the
// version for FFmpeg 5.1, pinned) keeps it as the CodecContext's first field
// and has no accessor for it. mcu_vp8_retarget checks what it points to
// before using it.
func avCodecContext(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}
