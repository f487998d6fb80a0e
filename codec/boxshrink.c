// mcu's staged box shrink; see shrink.h.
//
// 4:2:0 planes: chroma is (w+1)/2 by (h+1)/2.

#include <stdlib.h>
#include <libyuv/scale.h>
#include "shrink.h"

// MCU_BOX_MAX is the most libyuv's box filter shrinks by, in either
// direction, in one pass. It sums each box in 16-bit counters and scales
// the sum by a reciprocal rounded down: boxes of more than ~650 pixels
// come out visibly dark (a 1080p camera in an 18x10 thumbnail: 175 for
// 200), past 32,768 at half their level, past 65,536 black.
#define MCU_BOX_MAX 8

int mcu_box_shrink(const uint8_t *sy, int sys, const uint8_t *su, int sus, const uint8_t *sv, int svs, int sw, int sh,
		uint8_t *dy, int dys, uint8_t *du, int dus, uint8_t *dv, int dvs, int dw, int dh) {
	if (sw <= MCU_BOX_MAX * dw && sh <= MCU_BOX_MAX * dh) {
		return I420Scale(sy, sys, su, sus, sv, svs, sw, sh, dy, dys, du, dus, dv, dvs, dw, dh, kFilterBox);
	}
	// Halved into a picture of our own, each way that shrinks by more,
	// then the rest from there: boxes of 2 or 4 pixels, whose
	// reciprocals are exact, so that only the last stage rounds (shrinking
	// by 8 at each stage, a flat 100 came out 98 after three).
	int iw = sw > MCU_BOX_MAX * dw ? (sw + 1) / 2 : sw, ih = sh > MCU_BOX_MAX * dh ? (sh + 1) / 2 : sh;
	int cw = (iw + 1) / 2, ch = (ih + 1) / 2;
	uint8_t *buf = malloc((size_t)iw * ih + 2 * (size_t)cw * ch);
	if (buf == NULL) return -1;
	uint8_t *iy = buf, *iu = buf + (size_t)iw * ih, *iv = iu + (size_t)cw * ch;
	int r = I420Scale(sy, sys, su, sus, sv, svs, sw, sh, iy, iw, iu, cw, iv, cw, iw, ih, kFilterBox);
	if (r == 0) {
		r = mcu_box_shrink(iy, iw, iu, cw, iv, cw, iw, ih, dy, dys, du, dus, dv, dvs, dw, dh);
	}
	free(buf);
	return r;
}
