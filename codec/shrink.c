// Scaling 4:2:0 pictures to two thirds of their size.
//
// A 3x3 grid of 640x360 cameras on a 1280x720 canvas shrinks every picture
// to 426x240, two thirds of it. This does what a bilinear (tent) filter
// does when it shrinks, as swscale's does: each output sample is the
// weighted sum of the source samples within 1.5 source samples of its
// centre, the weight falling linearly with the distance. At exactly 2/3
// the centres fall a quarter sample from a source centre, so the weights
// are fixed, 1:5:3 and 3:5:1 (ninths), for even and odd outputs, and the
// same down the columns.
//
// The filter is separable. The sums are exact integers (at most 81 × 255),
// divided by 81 with rounding only at the end, so the order of the passes
// changes no sample, and both versions below give the same pictures. Where
// the CPU has AVX2, each source row is filtered across once (a source row
// serves two output rows), with byte shuffles and multiply-adds taking the
// samples in threes, and each output row weighs three rows of those sums in
// 16-bit lanes: 0.04 ms per 640x360 picture. Elsewhere, plain C the
// compiler vectorizes sums down the columns first: 0.15 ms (swscale:
// 0.2–0.3).

#include <stdlib.h>
#include <string.h>
#include "shrink.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define MCU_X86 1
#include <immintrin.h>
#endif

// ROW_SLACK is how many sums past dw a row of sums may be written (the
// vector code writes whole blocks of 16).
#define ROW_SLACK 16

// div81 is x / 81 rounded to nearest, exactly for x up to 81 * 255.
static inline uint8_t div81(unsigned x) { return (uint8_t)((x * 25891u + (1u << 20)) >> 21); }

// MCU_O3 vectorizes the plain C below where GCC can (cgo builds at -O2).
#if defined(__GNUC__) && !defined(__clang__)
#define MCU_O3 __attribute__((optimize("O3")))
#else
#define MCU_O3
#endif

// shrink_plane_c is the plain C version, for machines without AVX2: the
// sums down the columns first (three source rows into one row of sums, in
// contiguous loops the compiler vectorizes), then across. tmp holds
// SCRATCH_C(sw, dw) values.
#define SCRATCH_C(sw, dw) ((size_t)(sw) + 4 + 4 * ((size_t)(dw) / 2 + 2))
MCU_O3 static void shrink_plane_c(const uint8_t *src, int ss, int sw, int sh, uint8_t *dst, int ds, int dw, int dh,
		uint16_t *tmp) {
	// t: one row of column sums, t[-1] and t[sw..sw+2] repeating the edges.
	// Then per group k of three sums (t[3k], t[3k+1], t[3k+2]): e and f,
	// the parts of outputs 2k and 2k+1 inside the group, and t0 and t2 (t2
	// shifted by one), the parts from the neighbouring groups. Splitting it
	// so keeps every loop free of overlapping strided reads.
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

#ifdef MCU_X86
// The AVX2 version filters each source row across once into a row of sums
// (a source row serves two output rows), then weighs three rows of sums
// down for each output row, in 16-bit lanes.
//
// Across, 16 outputs (eight pairs) at a time, four pairs in each 128-bit
// lane (byte shuffles stay within a lane). Four pairs come from 14 bytes
// starting one before the first pair's three: pair j's even output weighs
// bytes 3j, 3j+1, 3j+2 by 1, 5, 3, its odd output bytes 3j+2, 3j+3, 3j+4
// by 3, 5, 1. Two multiply-adds of byte pairs do it: (3j, 3j+1)·(1, 5)
// plus (3j+2, -)·(3, 0) for the even output, (3j+2, 3j+3)·(3, 5) plus
// (3j+4, -)·(1, 0) for the odd one (index -128 makes a zero byte).
#define MCU_SHUF_A 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12
#define MCU_SHUF_B 2, -128, 4, -128, 5, -128, 7, -128, 8, -128, 10, -128, 11, -128, 13, -128
#define MCU_WEIGHT_A 1, 5, 3, 5, 1, 5, 3, 5, 1, 5, 3, 5, 1, 5, 3, 5
#define MCU_WEIGHT_B 3, 0, 1, 0, 3, 0, 1, 0, 3, 0, 1, 0, 3, 0, 1, 0

// across_block writes the 16 sums of pairs k .. k+7 from the 28 bytes at p
// (source sample 3k-1 onwards) to h (the row of sums at 2k).
__attribute__((target("avx2"))) static inline void across_block(const uint8_t *p, uint16_t *h) {
	const __m256i sa = _mm256_setr_epi8(MCU_SHUF_A, MCU_SHUF_A), sb = _mm256_setr_epi8(MCU_SHUF_B, MCU_SHUF_B);
	const __m256i wa = _mm256_setr_epi8(MCU_WEIGHT_A, MCU_WEIGHT_A), wb = _mm256_setr_epi8(MCU_WEIGHT_B, MCU_WEIGHT_B);
	__m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
		_mm_loadu_si128((const __m128i *)(p + 12)), 1);
	__m256i sum = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_shuffle_epi8(v, sa), wa),
		_mm256_maddubs_epi16(_mm256_shuffle_epi8(v, sb), wb));
	_mm256_storeu_si256((__m256i *)h, sum);
}

// across_avx2 filters one source row of sw samples into the sums of its
// (dw + 1) / 2 pairs: pair k's even sum weighs samples 3k-1, 3k, 3k+1 by
// 1, 5, 3, its odd sum 3k+1, 3k+2, 3k+3 by 3, 5, 1, samples past either
// end repeating the edge. Blocks of eight pairs read straight from the row
// while their 28 bytes lie inside it, then from a copy of the row's end
// with the edge repeated; pair 0 (sample -1) is done alone. Up to 15 sums
// past dw are written, into the row's slack.
__attribute__((target("avx2"))) static void across_avx2(const uint8_t *s, int sw, uint16_t *h, int dw) {
	int pairs = (dw + 1) / 2;
	unsigned s1 = s[1 < sw ? 1 : sw - 1], s2 = s[2 < sw ? 2 : sw - 1], s3 = s[3 < sw ? 3 : sw - 1];
	h[0] = (uint16_t)(6 * s[0] + 3 * s1);
	h[1] = (uint16_t)(3 * s1 + 5 * s2 + s3);
	int k = 1;
	for (; k < pairs && 3 * k + 26 < sw; k += 8) across_block(s + 3 * k - 1, h + 2 * k);
	uint8_t tail[28];
	for (; k < pairs; k += 8) {
		int n = sw - (3 * k - 1); // samples left: 3 to 27
		memcpy(tail, s + 3 * k - 1, (size_t)n);
		memset(tail + n, s[sw - 1], (size_t)(28 - n));
		across_block(tail, h + 2 * k);
	}
}

// down_avx2 writes one row of dw outputs from three rows of sums, weighed
// w0, 5, w2, 16 at a time in 16-bit lanes (a sum is at most 81 × 255):
// (sum + 40) / 81, rounding the sum's ninths-of-ninths to the nearest, is
// the high half of its product with 51782 shifted right by 6, exactly for
// every value a lane can hold. It reads up to 15 sums past dw (slack).
__attribute__((target("avx2"))) static void down_avx2(const uint16_t *a, const uint16_t *b, const uint16_t *c,
		unsigned w0, unsigned w2, uint8_t *o, int dw) {
	const __m256i m0 = _mm256_set1_epi16((short)w0), m1 = _mm256_set1_epi16(5), m2 = _mm256_set1_epi16((short)w2);
	const __m256i half = _mm256_set1_epi16(40), magic = _mm256_set1_epi16((short)51782);
	for (int x = 0; x < dw; x += 16) {
		__m256i sum = _mm256_add_epi16(_mm256_add_epi16(
			_mm256_mullo_epi16(_mm256_loadu_si256((const __m256i *)(a + x)), m0),
			_mm256_mullo_epi16(_mm256_loadu_si256((const __m256i *)(b + x)), m1)),
			_mm256_mullo_epi16(_mm256_loadu_si256((const __m256i *)(c + x)), m2));
		__m256i q = _mm256_srli_epi16(_mm256_mulhi_epu16(_mm256_add_epi16(sum, half), magic), 6);
		__m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
		if (x + 16 <= dw) {
			_mm_storeu_si128((__m128i *)(o + x), bytes);
		} else {
			uint8_t last[16];
			_mm_storeu_si128((__m128i *)last, bytes);
			memcpy(o + x, last, (size_t)(dw - x));
		}
	}
}

// shrink_plane_avx2 is shrink_plane_c with the passes above. rows holds 4
// rows of dw + ROW_SLACK sums.
__attribute__((target("avx2"))) static void shrink_plane_avx2(const uint8_t *src, int ss, int sw, int sh, uint8_t *dst,
		int ds, int dw, int dh, uint16_t *rows) {
	// Output row 2m takes source rows 3m-1, 3m, 3m+1 (1:5:3); row 2m+1
	// takes 3m+1, 3m+2, 3m+3 (3:5:1). Each source row serves two output
	// rows, so the sums of the last four are kept (source row r in slot
	// r % 4); have is the next row not yet summed.
	size_t slot = (size_t)dw + ROW_SLACK;
	int have = 0;
	for (int y = 0; y < dh; y++) {
		int m3 = y / 2 * 3, r0;
		unsigned w0, w2;
		if (y & 1) {
			r0 = m3 + 1, w0 = 3, w2 = 1;
		} else {
			r0 = m3 - 1, w0 = 1, w2 = 3;
		}
		int last = r0 + 2 < sh ? r0 + 2 : sh - 1;
		for (; have <= last; have++) across_avx2(src + (size_t)have * ss, sw, rows + (size_t)(have % 4) * slot, dw);
		int ra = r0 < 0 ? 0 : r0, rb = r0 + 1, rc = last;
		down_avx2(rows + (size_t)(ra % 4) * slot, rows + (size_t)(rb % 4) * slot, rows + (size_t)(rc % 4) * slot, w0,
			w2, dst + (size_t)y * ds, dw);
	}
}

static int have_avx2;

__attribute__((constructor)) static void shrink_cpu(void) {
	__builtin_cpu_init();
	have_avx2 = __builtin_cpu_supports("avx2");
}
#endif

int mcu_shrink_simd(int level) {
#ifdef MCU_X86
	shrink_cpu();
	have_avx2 = have_avx2 && level >= 1;
	return have_avx2;
#else
	(void)level;
	return 0;
#endif
}

// mcu_shrink_two_thirds writes the dw×dh picture of the sw×sh source when dw
// and dh are two thirds of sw and sh (rounded down), writing exactly the
// destination rectangle. Returns 0, or -1 when the sizes do not fit (the
// caller scales some other way) or memory runs out.
int mcu_shrink_two_thirds(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
		uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh) {
	int csw = (sw + 1) / 2, csh = (sh + 1) / 2, cdw = (dw + 1) / 2, cdh = (dh + 1) / 2;
	if (dw < 2 || dh < 2 || dw != sw * 2 / 3 || dh != sh * 2 / 3 || cdw != csw * 2 / 3 || cdh != csh * 2 / 3)
		return -1;
	// The vector version keeps four rows of sums, the plain C one a row of
	// sums and its split. Zeroed, so that the slack the vector code reads
	// past a row (and throws away) holds no uninitialized memory.
	void (*plane)(const uint8_t *, int, int, int, uint8_t *, int, int, int, uint16_t *) = shrink_plane_c;
	size_t scratch = SCRATCH_C(sw, dw);
#ifdef MCU_X86
	if (have_avx2) plane = shrink_plane_avx2, scratch = 4 * ((size_t)dw + ROW_SLACK);
#endif
	uint16_t *tmp = calloc(scratch, sizeof(uint16_t));
	if (!tmp) return -1;
	plane(sy, sys, sw, sh, dy, dys, dw, dh, tmp);
	plane(su, scs, csw, csh, du, dcs, cdw, cdh, tmp);
	plane(sv, scs, csw, csh, dv, dcs, cdw, cdh, tmp);
	free(tmp);
	return 0;
}
