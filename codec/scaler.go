//go:build cgo

package codec

/*
#cgo LDFLAGS: -lyuv
#include <stdint.h>
#include <libyuv/scale.h>

static int mcu_scale(const uint8_t *sy, const uint8_t *su, const uint8_t *sv, int sys, int scs, int sw, int sh,
		uint8_t *dy, uint8_t *du, uint8_t *dv, int dys, int dcs, int dw, int dh) {
	return I420Scale(sy, sys, su, scs, sv, scs, sw, sh, dy, dys, du, dcs, dv, dcs, dw, dh, kFilterBox);
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"
)

// Scale draws the crop rectangle of src into the dst rectangle of canvas,
// reading and writing Go memory in place with libyuv (box filter when
// shrinking, bilinear when enlarging). libyuv writes exactly the rectangle:
// neighbouring tiles are never touched. Both rectangles must have even X and
// Y and lie inside their images; crop may have odd width or height only where
// it reaches src's right or bottom edge, and dst likewise in canvas.
func Scale(canvas *image.YCbCr, dst image.Rectangle, src *image.YCbCr, crop image.Rectangle) error {
	if dst.Empty() || crop.Empty() {
		return nil
	}
	if !dst.In(canvas.Rect) || !crop.In(src.Rect) || dst.Min.X%2 != 0 || dst.Min.Y%2 != 0 ||
		crop.Min.X%2 != 0 || crop.Min.Y%2 != 0 {
		return fmt.Errorf("codec: scale %v of %v into %v of %v: bad rectangles", crop, src.Rect, dst, canvas.Rect)
	}
	sy, su, sv := planePointers(src, crop.Min)
	dy, du, dv := planePointers(canvas, dst.Min)
	r := C.mcu_scale(sy, su, sv, C.int(src.YStride), C.int(src.CStride), C.int(crop.Dx()), C.int(crop.Dy()),
		dy, du, dv, C.int(canvas.YStride), C.int(canvas.CStride), C.int(dst.Dx()), C.int(dst.Dy()))
	if r < 0 {
		return fmt.Errorf("codec: scale %dx%d -> %dx%d failed", crop.Dx(), crop.Dy(), dst.Dx(), dst.Dy())
	}
	return nil
}

// planePointers returns the addresses of pixel p in the three planes of img
// (p has even coordinates, in img's coordinate space).
func planePointers(img *image.YCbCr, p image.Point) (y, u, v *C.uint8_t) {
	p = p.Sub(img.Rect.Min)
	yo := p.Y*img.YStride + p.X
	co := p.Y/2*img.CStride + p.X/2
	return (*C.uint8_t)(unsafe.Pointer(&img.Y[yo])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cb[co])),
		(*C.uint8_t)(unsafe.Pointer(&img.Cr[co]))
}
