//go:build cgo

package codec

/*
#cgo pkg-config: libavutil libswscale
#cgo LDFLAGS: -lyuv
#include <string.h>
#include <libyuv/scale.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include "shrink.h"

static void mcu_copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, int src_stride, int w, int h) {
	for (int y = 0; y < h; y++) memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, w);
}

// mcu_video_range maps 4:2:0 planes of size w×h from full range (0..255)
// to limited, video range (luma 16..235, chroma 16..240), rounding.
static void mcu_video_range(uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs, int w, int h) {
	uint8_t luma[256], chroma[256];
	for (int i = 0; i < 256; i++) {
		luma[i] = 16 + (i * 219 + 127) / 255;
		chroma[i] = 16 + (i * 224 + 127) / 255;
	}
	for (int r = 0; r < h; r++) {
		uint8_t *p = y + (size_t)r * ys;
		for (int x = 0; x < w; x++) p[x] = luma[p[x]];
	}
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int r = 0; r < ch; r++) {
		uint8_t *pu = u + (size_t)r * cs, *pv = v + (size_t)r * cs;
		for (int x = 0; x < cw; x++) {
			pu[x] = chroma[pu[x]];
			pv[x] = chroma[pv[x]];
		}
	}
}

// mcu_to_bt601 converts 4:2:0 video-range planes of size w×h from the
// colour matrix of the coefficients kr, kb (BT.709: 0.2126, 0.0722) to
// BT.601's (0.299, 0.114), which the VP8 mix is taken for by every
// decoder (VP8 signals no other) and the H.264 mix says it is. The
// conversion is linear on (Y-16, Cb-128, Cr-128): chroma from chroma
// alone, luma plus a share of its block's chroma (swscale converts no
// matrix between two YUV formats).
static inline uint8_t mcu_clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

__attribute__((optimize("O3")))
static void mcu_to_bt601(uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs, int w, int h, double kr, double kb) {
	const double kr6 = 0.299, kb6 = 0.114, kg6 = 1 - kr6 - kb6, kg = 1 - kr - kb;
	// Source E'Pb = 1 (or E'Pr = 1), E'Y = 0, to R'G'B', to BT.601.
	double m[2][3]; // per source Pb, Pr: target Y, Pb, Pr
	for (int i = 0; i < 2; i++) {
		double pb = i == 0, pr = i == 1;
		double r = 2 * (1 - kr) * pr, b = 2 * (1 - kb) * pb, g = (-kr * r - kb * b) / kg;
		double yy = kr6 * r + kg6 * g + kb6 * b;
		m[i][0] = yy * 219.0 / 224.0; // luma codes per chroma code
		m[i][1] = (b - yy) / (2 * (1 - kb6));
		m[i][2] = (r - yy) / (2 * (1 - kr6));
	}
	// 14-bit fixed point; the products of chroma (-128..127) fit in int.
	int k[6];
	for (int i = 0; i < 6; i++) {
		double c = m[i % 2][i / 2] * (1 << 14);
		k[i] = (int)(c < 0 ? c - 0.5 : c + 0.5);
	}
	int yb = k[0], yr = k[1], bb = k[2], br = k[3], rb = k[4], rr = k[5];
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int j = 0; j < ch; j++) {
		uint8_t *pu = u + (size_t)j * cs, *pv = v + (size_t)j * cs;
		uint8_t *y0 = y + (size_t)(2 * j) * ys, *y1 = 2 * j + 1 < h ? y0 + ys : NULL;
		for (int i = 0; i < cw; i++) {
			int cb = pu[i] - 128, cr = pv[i] - 128;
			// + 8192 and an arithmetic shift: rounded to nearest.
			int d = (yb * cb + yr * cr + 8192) >> 14;
			int nb = 128 + ((bb * cb + br * cr + 8192) >> 14), nr = 128 + ((rb * cb + rr * cr + 8192) >> 14);
			pu[i] = mcu_clamp8(nb);
			pv[i] = mcu_clamp8(nr);
			// The luma of the chroma sample's block (2x2, less at an odd edge).
			for (int x = 2 * i; x < 2 * i + 2 && x < w; x++) {
				y0[x] = mcu_clamp8(y0[x] + d);
				if (y1) y1[x] = mcu_clamp8(y1[x] + d);
			}
		}
	}
}

// mcu_matrix gives the luma coefficients of a frame's colour matrix when
// it is one other than BT.601's (which an unspecified one is taken for,
// as browsers take VP8 and unlabelled video), and returns 0 for BT.601.
static int mcu_matrix(const AVFrame *f, double *kr, double *kb) {
	switch (f->colorspace) {
	case AVCOL_SPC_BT709: *kr = 0.2126, *kb = 0.0722; return 1;
	case AVCOL_SPC_SMPTE240M: *kr = 0.212, *kb = 0.087; return 1;
	case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: *kr = 0.2627, *kb = 0.0593; return 1;
	case AVCOL_SPC_FCC: *kr = 0.30, *kb = 0.11; return 1;
	default: return 0;
	}
}

// mcu_video_twin is the video-range format of a J (full-range) format, or
// format itself.
static enum AVPixelFormat mcu_video_twin(enum AVPixelFormat format) {
	switch (format) {
	case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
	case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
	case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
	case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
	case AV_PIX_FMT_YUVJ411P: return AV_PIX_FMT_YUV411P;
	default: return format;
	}
}

// mcu_frame_scale copies the crop (cx, cy, cw, ch) of a decoded AVFrame into
// caller-owned 4:2:0 planes of size dw×dh, in limited (video) range.
// 4:2:0 pictures (what VP8 and H.264 decoders give) are copied when the
// sizes match, shrunk by libyuv's box filter when box is set (see
// boxShrink), and by mcu's own bilinear when the tile is two thirds of the
// picture (shrink.c); everything else goes through a cached swscale
// context (*conv, owned by the caller), bilinear. A full-range picture (an
// H.264 stream may say its samples use all of 0..255) is mapped to the
// limited range the canvas and the encoder use.
// The crop applies to planar formats of any depth (YUV, planar RGB such as
// a VP9 RGB stream's GBRP, semi-planar NV12) and to single-plane gray;
// packed formats, which no decoder of mcu's gives, are used whole. The
// destination rows must have 32 bytes of slack (swscale's vector stores
// run past the width). Returns 0 or a negative AVERROR.
static int mcu_frame_scale(const AVFrame *f, struct SwsContext **conv, int box, int range_only,
		int cx, int cy, int cw, int ch,
		uint8_t *y, int ys, uint8_t *u, uint8_t *v, int cs, int dw, int dh) {
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
	if (!d) return AVERROR(EINVAL);
	int yuv = !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components >= 3;
	int cropable = ((d->flags & AV_PIX_FMT_FLAG_PLANAR) || d->nb_components == 1) &&
		!(d->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL));
	if (!cropable || cw <= 0 || ch <= 0 || cx + cw > f->width || cy + ch > f->height) {
		cx = 0; cy = 0; cw = f->width; ch = f->height;
	}
	int sx = d->log2_chroma_w, sy = d->log2_chroma_h;
	const uint8_t *src[4] = {f->data[0], f->data[1], f->data[2], f->data[3]};
	if (cropable) {
		// Each plane moves by the crop's offset in the samples of its first
		// component, comp[i].step bytes each (1, 2 past 8 bits, 2 for
		// NV12's interleaved chroma); chroma (components 1 and 2 of YUV)
		// is subsampled, RGB's components are not (its log2_chroma is 0).
		int moved[4] = {0};
		for (int i = 0; i < d->nb_components && i < 4; i++) {
			int p = d->comp[i].plane;
			if (p < 0 || p > 3 || moved[p]) continue;
			int chroma = i == 1 || i == 2;
			int x = chroma ? cx >> sx : cx, y = chroma ? cy >> sy : cy;
			src[p] += (size_t)y * f->linesize[p] + (size_t)x * d->comp[i].step;
			moved[p] = 1;
		}
	}
	// A J format is read as its video-range twin and mapped after, as
	// every other full-range picture: given a J format, swscale rewrites
	// its context's source format and then never finds it again in its
	// cache, so it would rebuild the context (and warn) every frame.
	enum AVPixelFormat sf = mcu_video_twin(f->format);
	int full = f->color_range == AVCOL_RANGE_JPEG || (!range_only && sf != f->format);
	int is420 = sf == AV_PIX_FMT_YUV420P;
	int done = 0;
	if (is420 && cw == dw && ch == dh) {
		mcu_copy_plane(y, ys, src[0], f->linesize[0], dw, dh);
		mcu_copy_plane(u, cs, src[1], f->linesize[1], (dw + 1) / 2, (dh + 1) / 2);
		mcu_copy_plane(v, cs, src[2], f->linesize[2], (dw + 1) / 2, (dh + 1) / 2);
		done = 1;
	} else if (is420 && box) {
		if (mcu_box_shrink(src[0], f->linesize[0], src[1], f->linesize[1], src[2], f->linesize[2], cw, ch,
				y, ys, u, cs, v, cs, dw, dh) != 0) {
			return AVERROR(EINVAL);
		}
		done = 1;
	} else if (is420 && f->linesize[1] == f->linesize[2] && // one chroma stride for both planes
			mcu_shrink_two_thirds(src[0], f->linesize[0], src[1], src[2], f->linesize[1], cw, ch,
			y, ys, u, v, cs, dw, dh) == 0) {
		done = 1;
	}
	double kr, kb;
	int matrix = yuv && mcu_matrix(f, &kr, &kb);
	if (done) {
		if (full) mcu_video_range(y, ys, u, v, cs, dw, dh);
		if (matrix) mcu_to_bt601(y, ys, u, v, cs, dw, dh, kr, kb);
		return 0;
	}
	*conv = sws_getCachedContext(*conv, cw, ch, sf, dw, dh, AV_PIX_FMT_YUV420P,
		SWS_BILINEAR, NULL, NULL, NULL);
	if (!*conv) return AVERROR(EINVAL);
	if (d->nb_components == 1) {
		// swscale takes every gray picture for full range; a decoder's
		// (AV1 monochrome) says which it is.
		int *inv, *tbl, src_range, dst_range, b, c, s;
		int want = f->color_range != AVCOL_RANGE_MPEG;
		if (sws_getColorspaceDetails(*conv, &inv, &src_range, &tbl, &dst_range, &b, &c, &s) >= 0 && src_range != want)
			sws_setColorspaceDetails(*conv, inv, want, tbl, dst_range, b, c, s);
	}
	uint8_t *dst[4] = {y, u, v, NULL};
	int stride[4] = {ys, cs, cs, 0};
	int r = sws_scale(*conv, src, f->linesize, 0, ch, dst, stride);
	if (r < 0) return r;
	if (full && yuv) {
		mcu_video_range(y, ys, u, v, cs, dw, dh);
	}
	if (matrix) mcu_to_bt601(y, ys, u, v, cs, dw, dh, kr, kb);
	return 0;
}

static int mcu_frame_width(const AVFrame *f) { return f->width; }
static int mcu_frame_height(const AVFrame *f) { return f->height; }
*/
import "C"

import (
	"fmt"
	"image"

	"github.com/asticode/go-astiav"
)

// frameConverter copies decoded AVFrames into Go frames. It owns the swscale
// context used to scale, and to convert pixel formats other than 4:2:0.
type frameConverter struct {
	conv *C.struct_SwsContext
	// rangeOnly: a picture is full range only if it says so
	// (color_range), whatever its pixel format (see VideoDecoder.send).
	rangeOnly bool
}

// toFrame copies src into dst as target says (the whole picture at its own
// size when target is nil).
func (c *frameConverter) toFrame(dst *Frame, src *astiav.Frame, target Target) error {
	p := (*C.AVFrame)(src.UnsafePointer())
	w, h := int(C.mcu_frame_width(p)), int(C.mcu_frame_height(p))
	if w <= 0 || h <= 0 {
		return fmt.Errorf("codec: decoded picture has size %dx%d", w, h)
	}
	crop, size := image.Rect(0, 0, w, h), image.Pt(w, h)
	if target != nil {
		crop, size = target(w, h)
		if crop.Empty() || !crop.In(image.Rect(0, 0, w, h)) || crop.Min.X%2 != 0 || crop.Min.Y%2 != 0 {
			crop = image.Rect(0, 0, w, h)
		}
		if size.X < 2 || size.Y < 2 {
			size = crop.Size()
		}
	}
	dst.Resize(size.X, size.Y)
	dst.SourceWidth, dst.SourceHeight = w, h
	y, u, v := planePointers(&dst.YCbCr, image.Point{})
	box := C.int(0)
	if boxShrink(crop.Dx(), crop.Dy(), size.X, size.Y) {
		box = 1
	}
	ro := C.int(0)
	if c.rangeOnly {
		ro = 1
	}
	r := C.mcu_frame_scale(p, &c.conv, box, ro, C.int(crop.Min.X), C.int(crop.Min.Y), C.int(crop.Dx()), C.int(crop.Dy()),
		y, C.int(dst.YStride), u, v, C.int(dst.CStride), C.int(size.X), C.int(size.Y))
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
