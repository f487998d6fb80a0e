// Scaling 4:2:0 pictures to two thirds of their size.
//
// A 3x3 grid of 640x360 cameras on a 1280x720 canvas shrinks every picture
// to 426x240, two thirds of it. This does what a bilinear (tent) filter
// does when it shrinks, as swscale's does: each output sample is the
// weighted sum of the source samples within 1.5 source samples of its
// centre, the weight falling linearly with the distance. At exactly 2/3
// the centres fall a quarter sample from a source centre, so the weights
// are fixed, 1:5:3 and 3:5:1 (ninths), for even and odd outputs, and the
// same down the columns. 0.10 ms per 640x360 picture against swscale's
// 0.2–0.3 ms, for the same picture within rounding.

#include <stdlib.h>
#include "shrink.h"

// An AVX2 variant where the C library can pick one at load time (ifunc),
// vectorized at -O3 (cgo builds at -O2) everywhere GCC compiles it.
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define MCU_VECTOR __attribute__((target_clones("avx2", "default"), optimize("O3")))
#elif defined(__GNUC__) && !defined(__clang__)
#define MCU_VECTOR __attribute__((optimize("O3")))
#else
#define MCU_VECTOR
#endif

// div81 is x / 81 rounded to nearest, exactly for x up to 81 * 255.
static inline uint8_t div81(unsigned x) { return (uint8_t)((x * 25891u + (1u << 20)) >> 21); }

// shrink_plane writes dw×dh samples of dst from sw×sh of src (dw = 2sw/3,
// dh = 2sh/3, rounded down). Source samples past an edge repeat the edge.
// tmp holds scratchLen(sw, dw) values.
MCU_VECTOR static void shrink_plane(const uint8_t *src, int ss, int sw, int sh, uint8_t *dst, int ds, int dw, int dh,
		uint16_t *tmp) {
	// t: one row of column sums, t[-1] and t[sw..sw+2] repeating the edges.
	// Then per group k of three sums (t[3k], t[3k+1], t[3k+2]): e and f,
	// the parts of outputs 2k and 2k+1 inside the group, and t0 and t2 (t2
	// shifted by one), the parts from the neighbouring groups. Splitting it
	// so keeps every loop free of overlapping strided reads, which the
	// compiler then vectorizes.
	int groups = dw / 2 + 1;
	uint16_t *t = tmp + 1, *e = t + sw + 3, *f = e + groups, *t0 = f + groups, *t2 = t0 + groups;
	for (int y = 0; y < dh; y++) {
		// Output row 2m takes source rows 3m-1, 3m, 3m+1 (1:5:3); row
		// 2m+1 takes 3m+1, 3m+2, 3m+3 (3:5:1).
		int m3 = y / 2 * 3, r0, w0, w2;
		if (y & 1) {
			r0 = m3 + 1, w0 = 3, w2 = 1;
		} else {
			r0 = m3 - 1, w0 = 1, w2 = 3;
		}
		int ra = r0 < 0 ? 0 : r0, rc = r0 + 2 < sh ? r0 + 2 : sh - 1;
		const uint8_t *a = src + (size_t)ra * ss, *b = src + (size_t)(r0 + 1) * ss, *c = src + (size_t)rc * ss;
		for (int x = 0; x < sw; x++) t[x] = (uint16_t)(a[x] * w0 + b[x] * 5 + c[x] * w2);
		t[-1] = t[0];
		t[sw] = t[sw + 1] = t[sw + 2] = t[sw - 1];
		for (int k = 0; k < groups; k++) {
			unsigned p = t[3 * k], q = t[3 * k + 1], r = t[3 * k + 2];
			e[k] = (uint16_t)(5 * p + 3 * q);
			f[k] = (uint16_t)(3 * q + 5 * r);
			t0[k] = (uint16_t)p;
			t2[k + 1] = (uint16_t)r;
		}
		t2[0] = t[-1];
		uint8_t *o = dst + (size_t)y * ds;
		for (int k = 0; k < dw / 2; k++) {
			o[2 * k] = div81(e[k] + t2[k]);
			o[2 * k + 1] = div81(f[k] + t0[k + 1]);
		}
		if (dw & 1) o[dw - 1] = div81(e[dw / 2] + t2[dw / 2]);
	}
}

// scratchLen is the size of shrink_plane's scratch.
static size_t scratchLen(int sw, int dw) { return (size_t)sw + 4 + 4 * ((size_t)dw / 2 + 2); }

// mcu_shrink_two_thirds writes the dw×dh picture of the sw×sh source when dw
// and dh are two thirds of sw and sh (rounded down), writing exactly the
// destination rectangle. Returns 0, or -1 when the sizes do not fit (the
// caller scales some other way) or memory runs out.
int mcu_shrink_two_thirds(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
		uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh) {
	int csw = (sw + 1) / 2, csh = (sh + 1) / 2, cdw = (dw + 1) / 2, cdh = (dh + 1) / 2;
	if (dw < 2 || dh < 2 || dw != sw * 2 / 3 || dh != sh * 2 / 3 || cdw != csw * 2 / 3 || cdh != csh * 2 / 3)
		return -1;
	uint16_t *tmp = malloc(sizeof(uint16_t) * scratchLen(sw, dw));
	if (!tmp) return -1;
	shrink_plane(sy, sys, sw, sh, dy, dys, dw, dh, tmp);
	shrink_plane(su, scs, csw, csh, du, dcs, cdw, cdh, tmp);
	shrink_plane(sv, scs, csw, csh, dv, dcs, cdw, cdh, tmp);
	free(tmp);
	return 0;
}
