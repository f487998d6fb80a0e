// mcu's box shrink for large ratios; see shrink.h.
//
// 4:2:0 planes: chroma is (w+1)/2 by (h+1)/2.

#include <stdlib.h>
#include <string.h>
#include <libyuv/scale.h>
#include "shrink.h"

// MCU_BOX_MAX is the most libyuv's box filter is trusted to shrink by, in
// either direction. It sums a box's columns in 16-bit counters
// (overflowing past 257 rows of 255) and scales each sum by a reciprocal
// of the box's area rounded down: boxes of more than ~650 pixels come out
// visibly dark (a 1080p camera in an 18x10 thumbnail: 175 for 200), past
// 32,768 at half their level, past 65,536 black. Up to 16x16 its sums are
// exact. Beyond, box_plane does it: exact sums, rounded means. (Shrinking
// in stages through libyuv is no way out: it takes a stage that shrinks
// either side by less than 2 bilinearly, two taps, and stripes alias.)
#define MCU_BOX_MAX 16

// box_plane shrinks one plane: each output sample the rounded mean of the
// source samples its box covers (boxes from i*sw/dw to (i+1)*sw/dw, the
// same down). col is a scratch of sw counters. The rows of a band are
// summed down each column first (a loop the compiler vectorizes), then
// across each box.
__attribute__((optimize("O3")))
static void box_plane(const uint8_t *s, int ss, int sw, int sh, uint8_t *d, int ds, int dw, int dh, uint32_t *col) {
	for (int j = 0; j < dh; j++) {
		int y0 = (int)((int64_t)j * sh / dh), y1 = (int)((int64_t)(j + 1) * sh / dh);
		if (y1 <= y0) y1 = y0 + 1;
		memset(col, 0, (size_t)sw * sizeof *col);
		for (int y = y0; y < y1; y++) {
			const uint8_t *row = s + (size_t)y * ss;
			for (int x = 0; x < sw; x++) col[x] += row[x];
		}
		uint8_t *out = d + (size_t)j * ds;
		for (int i = 0; i < dw; i++) {
			int x0 = (int)((int64_t)i * sw / dw), x1 = (int)((int64_t)(i + 1) * sw / dw);
			if (x1 <= x0) x1 = x0 + 1;
			uint64_t sum = 0;
			for (int x = x0; x < x1; x++) sum += col[x];
			uint64_t n = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
			out[i] = (uint8_t)((sum + n / 2) / n);
		}
	}
}

int mcu_box_shrink(const uint8_t *sy, int sys, const uint8_t *su, int sus, const uint8_t *sv, int svs, int sw, int sh,
		uint8_t *dy, int dys, uint8_t *du, int dus, uint8_t *dv, int dvs, int dw, int dh) {
	if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || dw > sw || dh > sh) return -1;
	if (sw <= MCU_BOX_MAX * dw && sh <= MCU_BOX_MAX * dh) {
		return I420Scale(sy, sys, su, sus, sv, svs, sw, sh, dy, dys, du, dus, dv, dvs, dw, dh, kFilterBox);
	}
	uint32_t *col = malloc((size_t)sw * sizeof *col);
	if (col == NULL) return -1;
	int csw = (sw + 1) / 2, csh = (sh + 1) / 2, cdw = (dw + 1) / 2, cdh = (dh + 1) / 2;
	box_plane(sy, sys, sw, sh, dy, dys, dw, dh, col);
	box_plane(su, sus, csw, csh, du, dus, cdw, cdh, col);
	box_plane(sv, svs, csw, csh, dv, dvs, cdw, cdh, col);
	free(col);
	return 0;
}
