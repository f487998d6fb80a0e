//go:build cgo

package codec

/*
#cgo pkg-config: libavutil libswscale
#include <string.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

static void mcu_copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, int src_stride, int w, int h) {
	for (int y = 0; y < h; y++) memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, w);
}

// mcu_frame_to_i420 copies a decoded AVFrame into caller-owned 4:2:0 planes
// of the same size, converting other pixel formats with a cached swscale
// context (*conv, owned by the caller). Returns 0 or a negative AVERROR.
static int mcu_frame_to_i420(const AVFrame *f, struct SwsContext **conv,
		uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs) {
	int w = f->width, h = f->height;
	if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
		mcu_copy_plane(y, ys, f->data[0], f->linesize[0], w, h);
		mcu_copy_plane(u, cs, f->data[1], f->linesize[1], (w + 1) / 2, (h + 1) / 2);
		mcu_copy_plane(v, cs, f->data[2], f->linesize[2], (w + 1) / 2, (h + 1) / 2);
		return 0;
	}
	*conv = sws_getCachedContext(*conv, w, h, f->format, w, h, AV_PIX_FMT_YUV420P,
		SWS_BILINEAR, NULL, NULL, NULL);
	if (!*conv) return AVERROR(EINVAL);
	uint8_t *dst[4] = {y, u, v, NULL};
	int stride[4] = {ys, cs, cs, 0};
	int r = sws_scale(*conv, (const uint8_t * const *)f->data, f->linesize, 0, h, dst, stride);
	return r < 0 ? r : 0;
}

static int mcu_frame_width(const AVFrame *f) { return f->width; }
static int mcu_frame_height(const AVFrame *f) { return f->height; }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// frameConverter copies decoded AVFrames into Go frames. It owns the swscale
// context used for pixel formats other than 4:2:0.
type frameConverter struct {
	conv *C.struct_SwsContext
}

// toFrame copies src into dst, resizing dst to the picture size.
func (c *frameConverter) toFrame(dst *Frame, src *astiav.Frame) error {
	p := (*C.AVFrame)(src.UnsafePointer())
	w, h := int(C.mcu_frame_width(p)), int(C.mcu_frame_height(p))
	if w <= 0 || h <= 0 {
		return fmt.Errorf("codec: decoded picture has size %dx%d", w, h)
	}
	dst.Resize(w, h)
	r := C.mcu_frame_to_i420(p, &c.conv,
		(*C.uint8_t)(unsafe.Pointer(&dst.Y[0])), C.int(dst.YStride),
		(*C.uint8_t)(unsafe.Pointer(&dst.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&dst.Cr[0])), C.int(dst.CStride))
	if r < 0 {
		return fmt.Errorf("codec: convert %s picture: %w", src.PixelFormat(), astiav.Error(r))
	}
	return nil
}

func (c *frameConverter) close() {
	if c.conv != nil {
		C.sws_freeContext(c.conv)
		c.conv = nil
	}
}
