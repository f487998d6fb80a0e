//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec vpx
#include <string.h>
#include <libavcodec/avcodec.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// mcu_vpx_head is how the private context of FFmpeg's libvpx wrapper
// begins (libavcodec/libvpxenc.c in FFmpeg 5.1, as in its first versions):
// its AVClass, then the libvpx encoder. mcu_vp8_retarget checks it before
// use.
struct mcu_vpx_head {
	const AVClass *class;
	vpx_codec_ctx_t encoder;
};

// mcu_vp8_encoder returns the running libvpx VP8 encoder inside cc, or
// NULL when cc is not FFmpeg's libvpx VP8 encoder laid out as expected.
// The checks read cc's own fields, then compare the encoder's interface
// pointer with libvpx's VP8 encoder before anything else is used.
static vpx_codec_ctx_t *mcu_vp8_encoder(AVCodecContext *cc) {
	if (cc == NULL || cc->av_class != avcodec_get_class() || cc->codec_id != AV_CODEC_ID_VP8 ||
		cc->codec == NULL || cc->codec->name == NULL || strcmp(cc->codec->name, "libvpx") != 0) return NULL;
	struct mcu_vpx_head *h = cc->priv_data;
	if (h == NULL || h->encoder.iface != vpx_codec_vp8_cx() || h->encoder.config.enc == NULL) return NULL;
	return &h->encoder;
}

// mcu_vp8_retarget sets the target bitrate of the running libvpx VP8
// encoder inside cc, as WebRTC's own VP8 wrapper does for every rate
// change: the same configuration (libvpx's own copy, which config.enc
// points to once the encoder is open) with another rc_target_bitrate; the
// CBR buffer sizes are in milliseconds, so they hold at the new rate. It
// returns 1 when cc is not the encoder mcu_vp8_encoder knows (nothing was
// changed), a libvpx error code on failure, 0 on success.
static int mcu_vp8_retarget(AVCodecContext *cc, unsigned kbps) {
	vpx_codec_ctx_t *enc = mcu_vp8_encoder(cc);
	if (enc == NULL) return 1;
	vpx_codec_enc_cfg_t cfg = *enc->config.enc;
	cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(enc, &cfg) == VPX_CODEC_OK ? 0 : -1;
}

// mcu_vp8_speed sets the running encoder's cpu-used, as libvpx takes it
// between any two frames; the same returns as mcu_vp8_retarget.
static int mcu_vp8_speed(AVCodecContext *cc, int speed) {
	vpx_codec_ctx_t *enc = mcu_vp8_encoder(cc);
	if (enc == NULL) return 1;
	return vpx_codec_control(enc, VP8E_SET_CPUUSED, speed) == VPX_CODEC_OK ? 0 : -1;
}

// mcu_vp8_screen sets the running encoder's screen content mode (0 for
// camera pictures, 1 for screen content), as libvpx takes it between any
// two frames; the same returns as mcu_vp8_retarget.
static int mcu_vp8_screen(AVCodecContext *cc, unsigned mode) {
	vpx_codec_ctx_t *enc = mcu_vp8_encoder(cc);
	if (enc == NULL) return 1;
	return vpx_codec_control(enc, VP8E_SET_SCREEN_CONTENT_MODE, mode) == VPX_CODEC_OK ? 0 : -1;
}

// mcu_vp8_error describes the last error of the libvpx encoder inside cc
// (only after mcu_vp8_retarget, mcu_vp8_speed or mcu_vp8_screen returned
// -1).
static const char *mcu_vp8_error(AVCodecContext *cc) {
	struct mcu_vpx_head *h = cc->priv_data;
	const char *detail = vpx_codec_error_detail(&h->encoder);
	return detail != NULL ? detail : vpx_codec_error(&h->encoder);
}
*/
import "C"

import (
	"errors"
	"fmt"
)

// errNoRetarget: the encoder cannot change its bitrate while running (not
// the wrapper mcu knows), so it must be reopened.
var errNoRetarget = errors.New("codec: vp8 encoder cannot be retargeted in place")

// retarget changes the running encoder's target bitrate (bits per second)
// without a restart or a keyframe. FFmpeg 5.1's libvpx wrapper reads its
// bitrate only when it opens, so this reaches the libvpx encoder it holds.
// FFmpeg's own copies of the rate settings (bit_rate, which is updated;
// rc_min_rate, rc_max_rate, rc_buffer_size, which keep their first values)
// are not read again by the wrapper once it is open.
func (e *VP8Encoder) retarget(bps int) error {
	cc := avCodecContext(e.cc)
	if cc == nil {
		return errNoRetarget
	}
	switch C.mcu_vp8_retarget(cc, C.uint((bps+500)/1000)) {
	case 1:
		return errNoRetarget
	case -1:
		return fmt.Errorf("codec: vp8 bitrate %d: libvpx: %s", bps, C.GoString(C.mcu_vp8_error(cc)))
	}
	e.cc.SetBitRate(int64(bps))
	return nil
}

// errNoSpeed: the encoder cannot change its speed while running (not the
// wrapper mcu knows). A speed change is never worth the keyframe of a
// reopening, so it is refused.
var errNoSpeed = errors.New("codec: vp8 encoder speed cannot change in place")

// SetSpeed changes libvpx's cpu-used (a fixed speed, -16..-1: the more
// negative, the faster and the coarser) from the next frame on, in place:
// no keyframe, the rate control carries on. It fails, changing nothing,
// when the running encoder is not FFmpeg's libvpx wrapper as mcu knows it.
// A reopening for a bitrate change keeps the new speed.
func (e *VP8Encoder) SetSpeed(speed int) error {
	c := e.cfg
	c.Speed = speed
	if err := c.Validate(); err != nil {
		return err
	}
	if speed == e.cfg.Speed {
		return nil
	}
	if e.cc != nil {
		cc := avCodecContext(e.cc)
		if cc == nil {
			return errNoSpeed
		}
		switch C.mcu_vp8_speed(cc, C.int(speed)) {
		case 1:
			return errNoSpeed
		case -1:
			return fmt.Errorf("codec: vp8 speed %d: libvpx: %s", speed, C.GoString(C.mcu_vp8_error(cc)))
		}
	}
	e.cfg.Speed = speed
	return nil
}

// errNoScreen: the encoder cannot take screen content in place (not the
// wrapper mcu knows; FFmpeg 5.1's has no option for it).
var errNoScreen = errors.New("codec: vp8 encoder screen content mode cannot change in place")

// SetScreenContent tells libvpx whether the pictures hold screen content
// (a shared screen: text, sharp edges, still areas) from the next frame
// on, in place: no keyframe, the rate control carries on. On such
// pictures at the same bitrate it gains 0.3-0.6 dB of PSNR (more on the
// text) for no measurable CPU; on camera pictures it costs up to a tenth
// more CPU for 0.1 dB, so it is for while a screen is shown. It fails,
// changing nothing, when the running encoder is not FFmpeg's libvpx
// wrapper as mcu knows it. A reopening keeps it.
func (e *VP8Encoder) SetScreenContent(on bool) error {
	if on == e.screen {
		return nil
	}
	if e.cc != nil {
		if err := e.applyScreen(on); err != nil {
			return err
		}
	}
	e.screen = on
	return nil
}

// ScreenContent reports whether the encoder takes its pictures as screen
// content (SetScreenContent).
func (e *VP8Encoder) ScreenContent() bool { return e.screen }

// applyScreen sets the running encoder's screen content mode.
func (e *VP8Encoder) applyScreen(on bool) error {
	cc := avCodecContext(e.cc)
	if cc == nil {
		return errNoScreen
	}
	mode := C.uint(0)
	if on {
		mode = 1
	}
	switch C.mcu_vp8_screen(cc, mode) {
	case 1:
		return errNoScreen
	case -1:
		return fmt.Errorf("codec: vp8 screen content mode %d: libvpx: %s", mode, C.GoString(C.mcu_vp8_error(cc)))
	}
	return nil
}
