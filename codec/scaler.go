//go:build cgo

package codec

/*
#cgo pkg-config: libswscale libavutil
#cgo LDFLAGS: -lyuv
#include <libswscale/swscale.h>
#include <libavutil/pixfmt.h>
#include <libyuv/scale.h>
#include "shrink.h"

static struct SwsContext *mcu_scaler(struct SwsContext *c, int sw, int sh, int dw, int dh, int flags) {
	return sws_getCachedContext(c, sw, sh, AV_PIX_FMT_YUV420P, dw, dh, AV_PIX_FMT_YUV420P,
		flags, NULL, NULL, NULL);
}

static int mcu_scale(struct SwsContext *c,
		const uint8_t *sy, const uint8_t *su, const uint8_t *sv, int sys, int scs, int sh,
		uint8_t *dy, uint8_t *du, uint8_t *dv, int dys, int dcs) {
	const uint8_t *src[4] = {sy, su, sv, NULL};
	int src_stride[4] = {sys, scs, scs, 0};
	uint8_t *dst[4] = {dy, du, dv, NULL};
	int dst_stride[4] = {dys, dcs, dcs, 0};
	return sws_scale(c, src, src_stride, 0, sh, dst, dst_stride);
}

// mcu_halve_or_more shrinks a 4:2:0 picture to half its size or less in each
// direction with libyuv's box filter: the mean of the source pixels under
// each output pixel (mcu_box_shrink).
static int mcu_halve_or_more(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
		uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh) {
	return mcu_box_shrink(sy, sys, su, scs, sv, scs, sw, sh, dy, dys, du, dcs, dv, dcs, dw, dh);
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// Scaler resamples a region of one 4:2:0 picture into a region of another,
// reading Go memory in place: with libyuv's box filter when it shrinks to
// half or less (see [boxShrink]), otherwise bilinearly (which averages over
// the whole footprint too when shrinking): by mcu's own code at exactly two
// thirds (shrink.c), by libswscale at other ratios. swscale's SIMD
// output stores run past the requested width (up to a vector), so it writes
// into a padded, aligned scratch picture that is then copied row by row into
// the canvas: neighbouring tiles are never touched. It caches its swscale
// contexts for the last few (source size, destination size) pairs: a
// mixer's one scaler serves tiles of several sizes in a tick, and making a
// context costs as much as a scaling or more. Use from one goroutine;
// Close frees them.
type Scaler struct {
	ctxs [scalerContexts]swsEntry // the most recently used first
	made int                      // contexts made or remade, for tests
	tmp  image.YCbCr
	// smaller counts the calls in a row whose output needed well under
	// the scratch: it is given back after scratchShrinkAfter of them.
	smaller int
}

// scalerContexts is how many swscale contexts a Scaler keeps.
const scalerContexts = 4

// swsEntry is a swscale context and the sizes it scales between.
type swsEntry struct {
	ctx            *C.struct_SwsContext
	sw, sh, dw, dh int
}

// context returns a swscale context for sw×sh → dw×dh: one kept, or the
// least recently used one remade.
func (s *Scaler) context(sw, sh, dw, dh int) *C.struct_SwsContext {
	i := 0
	for ; i < len(s.ctxs)-1; i++ {
		e := s.ctxs[i]
		if e.ctx == nil || e.sw == sw && e.sh == sh && e.dw == dw && e.dh == dh {
			break
		}
	}
	e := s.ctxs[i]
	if e.ctx == nil || e.sw != sw || e.sh != sh || e.dw != dw || e.dh != dh {
		s.made++
		e = swsEntry{ctx: C.mcu_scaler(e.ctx, C.int(sw), C.int(sh), C.int(dw), C.int(dh), C.SWS_BILINEAR), sw: sw, sh: sh, dw: dw, dh: dh}
	}
	copy(s.ctxs[1:i+1], s.ctxs[:i]) // to the front
	s.ctxs[0] = e
	return e.ctx
}

// scratchShrinkAfter is how many scalings in a row must need much less
// scratch before it is given back: a mixer's one scaler serves every tile,
// and a large and a small one in the same tick must not reallocate both
// times.
const scratchShrinkAfter = 64

// scratchPad is the slack swscale may write past a row or a plane.
const scratchPad = 64

// Scale draws the crop rectangle of src into the dst rectangle of canvas.
// Both rectangles must have even X and Y and lie inside their images; crop
// may have odd width or height only where it reaches src's right or bottom
// edge.
func (s *Scaler) Scale(canvas *image.YCbCr, dst image.Rectangle, src *image.YCbCr, crop image.Rectangle) error {
	if dst.Empty() || crop.Empty() {
		return nil
	}
	if !dst.In(canvas.Rect) || !crop.In(src.Rect) || dst.Min.X%2 != 0 || dst.Min.Y%2 != 0 ||
		crop.Min.X%2 != 0 || crop.Min.Y%2 != 0 {
		return fmt.Errorf("codec: scale %v of %v into %v of %v: bad rectangles", crop, src.Rect, dst, canvas.Rect)
	}
	if err := check420(canvas, dst); err != nil {
		return fmt.Errorf("codec: scale into %w", err)
	}
	if err := check420(src, crop); err != nil {
		return fmt.Errorf("codec: scale from %w", err)
	}
	sw, sh, dw, dh := crop.Dx(), crop.Dy(), dst.Dx(), dst.Dy()
	sy, su, sv := planePointers(src, crop.Min)
	// libyuv and shrink.c write exactly the rectangle: straight into the
	// canvas.
	if boxShrink(sw, sh, dw, dh) {
		dy, du, dv := planePointers(canvas, dst.Min)
		if C.mcu_halve_or_more(sy, C.int(src.YStride), su, sv, C.int(src.CStride), C.int(sw), C.int(sh),
			dy, C.int(canvas.YStride), du, dv, C.int(canvas.CStride), C.int(dw), C.int(dh)) != 0 {
			return fmt.Errorf("codec: scale %dx%d -> %dx%d failed", sw, sh, dw, dh)
		}
		return nil
	}
	if dy, du, dv := planePointers(canvas, dst.Min); C.mcu_shrink_two_thirds(sy, C.int(src.YStride), su, sv, C.int(src.CStride),
		C.int(sw), C.int(sh), dy, C.int(canvas.YStride), du, dv, C.int(canvas.CStride), C.int(dw), C.int(dh)) == 0 {
		return nil
	}
	ctx := s.context(sw, sh, dw, dh)
	if ctx == nil {
		return fmt.Errorf("codec: swscale context %dx%d -> %dx%d", sw, sh, dw, dh)
	}
	tmp := s.scratch(dw, dh)
	dy, du, dv := planePointers(tmp, image.Point{})
	r := C.mcu_scale(ctx, sy, su, sv, C.int(src.YStride), C.int(src.CStride), C.int(sh),
		dy, du, dv, C.int(tmp.YStride), C.int(tmp.CStride))
	if r < 0 {
		return fmt.Errorf("codec: swscale %dx%d -> %dx%d failed (%d)", sw, sh, dw, dh, int(r))
	}
	cw, ch := (dw+1)/2, (dh+1)/2
	yo := (dst.Min.Y-canvas.Rect.Min.Y)*canvas.YStride + dst.Min.X - canvas.Rect.Min.X
	co := (dst.Min.Y-canvas.Rect.Min.Y)/2*canvas.CStride + (dst.Min.X-canvas.Rect.Min.X)/2
	copyPlane(canvas.Y[yo:], canvas.YStride, tmp.Y, tmp.YStride, dw, dh)
	copyPlane(canvas.Cb[co:], canvas.CStride, tmp.Cb, tmp.CStride, cw, ch)
	copyPlane(canvas.Cr[co:], canvas.CStride, tmp.Cr, tmp.CStride, cw, ch)
	return nil
}

// boxShrink reports whether a sw×sh picture shrunk to dw×dh takes libyuv's
// box filter: when the output is at most half the input in both directions
// (a 4x4 grid of 640x360 cameras on 1280x720 is exactly half). There it is
// both right (every source pixel counts, equally) and ten times cheaper than
// swscale (0.01 against 0.18 ms for 640x360 → 320x180). For gentler ratios
// libyuv interpolates between two neighbours only, which aliases: at 3x3
// (2/3 size) the encoded mix scored 0.8 dB of PSNR below FFmpeg's in
// mixbench, so those are bilinear (shrink.c at 2/3, swscale otherwise).
func boxShrink(sw, sh, dw, dh int) bool { return dw*2 <= sw && dh*2 <= sh }

// scratch returns the scaler's w×h output picture, with rows aligned and
// padded for swscale's vector stores.
func (s *Scaler) scratch(w, h int) *image.YCbCr {
	align := func(n int) int { return (n + 63) &^ 63 }
	ys, cs, ch := align(w+scratchPad), align((w+1)/2+scratchPad), (h+1)/2
	cbOff := align(ys * (h + 1))
	crOff := cbOff + align(cs*(ch+1))
	total := crOff + cs*(ch+1) + scratchPad
	buf := s.tmp.Y[:cap(s.tmp.Y)]
	switch {
	case len(buf) < total:
		buf, s.smaller = make([]byte, total), 0
	case len(buf)-total > total/4:
		// Give memory back once the outputs stay smaller: a room's first
		// participant is scaled up to the whole canvas (1.4 MB of scratch
		// at 720p), and the tiles shrink as people join.
		if s.smaller++; s.smaller >= scratchShrinkAfter {
			buf, s.smaller = make([]byte, total), 0
		}
	default:
		s.smaller = 0
	}
	s.tmp = image.YCbCr{
		Y: buf[:cbOff], Cb: buf[cbOff:crOff], Cr: buf[crOff:],
		YStride: ys, CStride: cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
	return &s.tmp
}

// check420 tells whether the rectangle r of img (inside it, with an even
// corner) can be handed to C through planePointers, which walks r's rows
// with img's strides and no bounds of its own: img must be 4:2:0 with an
// even origin (its chroma sample for (x, y) at (x/2, y/2) of its planes),
// rows no shorter than its width, and planes that reach r's last row.
func check420(img *image.YCbCr, r image.Rectangle) error {
	w := img.Rect.Dx()
	switch {
	case img.SubsampleRatio != image.YCbCrSubsampleRatio420:
		return fmt.Errorf("a %v image: want 4:2:0", img.SubsampleRatio)
	case img.Rect.Min.X%2 != 0 || img.Rect.Min.Y%2 != 0:
		return fmt.Errorf("an image at %v: want an even origin", img.Rect.Min)
	case img.YStride < w || img.CStride < (w+1)/2:
		return fmt.Errorf("a %d wide image with strides %d and %d", w, img.YStride, img.CStride)
	case r.Empty():
		return nil
	}
	p := r.Min.Sub(img.Rect.Min)
	yEnd := (p.Y+r.Dy()-1)*img.YStride + p.X + r.Dx()
	cEnd := ((p.Y+r.Dy()+1)/2-1)*img.CStride + (p.X+r.Dx()+1)/2
	if len(img.Y) < yEnd || len(img.Cb) < cEnd || len(img.Cr) < cEnd {
		return fmt.Errorf("a %v image whose planes (%d, %d, %d bytes) end before %v", img.Rect, len(img.Y), len(img.Cb), len(img.Cr), r)
	}
	return nil
}

// planePointers returns the addresses of pixel p in the three planes of img
// (p has even coordinates, in img's coordinate space; see check420).
func planePointers(img *image.YCbCr, p image.Point) (y, u, v *C.uint8_t) {
	p = p.Sub(img.Rect.Min)
	yo := p.Y*img.YStride + p.X
	co := p.Y/2*img.CStride + p.X/2
	return (*C.uint8_t)(unsafe.Pointer(&img.Y[yo])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cb[co])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cr[co]))
}

// shrinkSIMD limits the vector code of the two-thirds shrink to level (1:
// AVX2, 0: plain C) and what the CPU has, and returns the level in use:
// tests check every variant the machine can run. Not safe while a shrink
// runs.
func shrinkSIMD(level int) int { return int(C.mcu_shrink_simd(C.int(level))) }

// Close frees the swscale contexts. It is safe to call more than once.
func (s *Scaler) Close() {
	for i := range s.ctxs {
		if s.ctxs[i].ctx != nil {
			C.sws_freeContext(s.ctxs[i].ctx)
		}
		s.ctxs[i] = swsEntry{}
	}
}
