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
// The filter is separable and done in two passes: each source row is
// filtered across once into a row of sums (a source row serves two output
// rows), and each output row then weighs three of those. The sums are exact
// integers (at most 81 × 255), divided by 81 with rounding only at the end,
// so the order of the passes does not change a single sample. On x86 the
// pass across, where samples are taken in threes, uses byte shuffles and
// multiply-adds, and the pass down in 16-bit lanes (AVX2, where the CPU has
// it; plain C otherwise).

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

// across_c filters pairs [k0, k1) of one source row of sw samples into
// sums (ninths): pair k's even output weighs samples 3k-1, 3k, 3k+1 by 1,
// 5, 3, its odd output 3k+1, 3k+2, 3k+3 by 3, 5, 1. Samples past either
// end repeat the edge. The last pair's odd output may lie past dw: the
// row of sums has slack.
static void across_c(const uint8_t *s, int sw, uint16_t *h, int k0, int k1) {
	for (int k = k0; k < k1; k++) {
		int a = 3 * k - 1, c = 3 * k + 3;
		unsigned sa = s[a < 0 ? 0 : a], s0 = s[3 * k], s1 = s[3 * k + 1 < sw ? 3 * k + 1 : sw - 1],
			s2 = s[3 * k + 2 < sw ? 3 * k + 2 : sw - 1], s3 = s[c < sw ? c : sw - 1];
		h[2 * k] = (uint16_t)(sa + 5 * s0 + 3 * s1);
		h[2 * k + 1] = (uint16_t)(3 * s1 + 5 * s2 + s3);
	}
}

// div81 is x / 81 rounded to nearest, exactly for x up to 81 * 255.
static inline uint8_t div81(unsigned x) { return (uint8_t)((x * 25891u + (1u << 20)) >> 21); }

// down_c writes one row of dw outputs from three rows of sums, weighed w0,
// 5, w2.
static void down_c(const uint16_t *a, const uint16_t *b, const uint16_t *c, unsigned w0, unsigned w2, uint8_t *o,
		int dw) {
	for (int x = 0; x < dw; x++) o[x] = div81(w0 * a[x] + 5u * b[x] + w2 * c[x]);
}

#ifdef MCU_X86
// The AVX2 pass across makes 16 outputs (eight pairs) at a time, four pairs
// in each 128-bit lane (byte shuffles stay within a lane). Four pairs come
// from 14 bytes starting one before the first pair's three: pair j's even
// output weighs bytes 3j, 3j+1, 3j+2 by 1, 5, 3, its odd output bytes
// 3j+2, 3j+3, 3j+4 by 3, 5, 1. Two multiply-adds of byte pairs do it:
// (3j, 3j+1)·(1, 5) plus (3j+2, -)·(3, 0) for the even output,
// (3j+2, 3j+3)·(3, 5) plus (3j+4, -)·(1, 0) for the odd one (index -128
// makes a zero byte).
#define MCU_SHUF_A 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12
#define MCU_SHUF_B 2, -128, 4, -128, 5, -128, 7, -128, 8, -128, 10, -128, 11, -128, 13, -128
#define MCU_WEIGHT_A 1, 5, 3, 5, 1, 5, 3, 5, 1, 5, 3, 5, 1, 5, 3, 5
#define MCU_WEIGHT_B 3, 0, 1, 0, 3, 0, 1, 0, 3, 0, 1, 0, 3, 0, 1, 0

// across_block writes the 16 outputs of pairs k .. k+7 from the 28 bytes
// at p (source sample 3k-1 onwards) into h + 2k.
__attribute__((target("avx2"))) static inline void across_block(const uint8_t *p, uint16_t *h) {
	const __m256i sa = _mm256_setr_epi8(MCU_SHUF_A, MCU_SHUF_A), sb = _mm256_setr_epi8(MCU_SHUF_B, MCU_SHUF_B);
	const __m256i wa = _mm256_setr_epi8(MCU_WEIGHT_A, MCU_WEIGHT_A), wb = _mm256_setr_epi8(MCU_WEIGHT_B, MCU_WEIGHT_B);
	__m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
		_mm_loadu_si128((const __m128i *)(p + 12)), 1);
	__m256i sum = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_shuffle_epi8(v, sa), wa),
		_mm256_maddubs_epi16(_mm256_shuffle_epi8(v, sb), wb));
	_mm256_storeu_si256((__m256i *)h, sum);
}

// across_avx2 is across_c for pairs [1, k1) in blocks of eight pairs,
// straight from the row while a block's 28 bytes lie inside it, then from
// a copy of the row's end with the edge repeated.
__attribute__((target("avx2"))) static void across_avx2(const uint8_t *s, int sw, uint16_t *h, int k1) {
	int k = 1;
	for (; k < k1 && 3 * k + 26 < sw; k += 8) across_block(s + 3 * k - 1, h + 2 * k);
	uint8_t tail[28];
	for (; k < k1; k += 8) {
		int n = sw - (3 * k - 1); // samples left, fewer than 28
		memcpy(tail, s + 3 * k - 1, (size_t)n);
		memset(tail + n, s[sw - 1], (size_t)(28 - n));
		across_block(tail, h + 2 * k);
	}
}

// down_avx2 is down_c 16 outputs at a time, in 16-bit lanes (a sum is at
// most 81 × 255): (sum + 40) / 81 is the high half of its product with
// 51782, shifted right by 6, exactly for every value a lane can hold.
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
			for (int i = 0; x + i < dw; i++) o[x + i] = last[i];
		}
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

// across filters one source row of sw samples into dw sums (and possibly
// one more, into the slack).
static void across(const uint8_t *s, int sw, uint16_t *h, int dw) {
	int pairs = (dw + 1) / 2;
	across_c(s, sw, h, 0, 1); // pair 0 repeats the first sample
#ifdef MCU_X86
	if (have_avx2) {
		across_avx2(s, sw, h, pairs);
		return;
	}
#endif
	across_c(s, sw, h, 1, pairs);
}

// down writes one output row from three rows of sums, weighed w0, 5, w2
// (the rows of sums may be read up to their slack).
static void down(const uint16_t *a, const uint16_t *b, const uint16_t *c, unsigned w0, unsigned w2, uint8_t *o,
		int dw) {
#ifdef MCU_X86
	if (have_avx2) {
		down_avx2(a, b, c, w0, w2, o, dw);
		return;
	}
#endif
	down_c(a, b, c, w0, w2, o, dw);
}

// shrink_plane writes dw×dh samples of dst from sw×sh of src (dw = 2sw/3,
// dh = 2sh/3, rounded down). Source samples past an edge repeat the edge.
// rows holds 4 rows of dw + ROW_SLACK sums.
static void shrink_plane(const uint8_t *src, int ss, int sw, int sh, uint8_t *dst, int ds, int dw, int dh,
		uint16_t *rows) {
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
		for (; have <= last; have++) across(src + (size_t)have * ss, sw, rows + (size_t)(have % 4) * slot, dw);
		int ra = r0 < 0 ? 0 : r0, rb = r0 + 1, rc = last;
		down(rows + (size_t)(ra % 4) * slot, rows + (size_t)(rb % 4) * slot, rows + (size_t)(rc % 4) * slot, w0, w2,
			dst + (size_t)y * ds, dw);
	}
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
	uint16_t *rows = malloc(sizeof(uint16_t) * 4 * ((size_t)dw + ROW_SLACK));
	if (!rows) return -1;
	shrink_plane(sy, sys, sw, sh, dy, dys, dw, dh, rows);
	shrink_plane(su, scs, csw, csh, du, dcs, cdw, cdh, rows);
	shrink_plane(sv, scs, csw, csh, dv, dcs, cdw, cdh, rows);
	free(rows);
	return 0;
}
