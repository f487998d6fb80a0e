#include <stdint.h>

int mcu_shrink_two_thirds(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
	uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh);

// mcu_shrink_simd limits the vector code mcu_shrink_two_thirds uses to
// level (1: AVX2, 0: none) and what the CPU has, and returns the
// level now in use. For tests: not safe while a shrink runs.
int mcu_shrink_simd(int level);

// mcu_box_shrink shrinks a 4:2:0 picture to half its size or less in each
// direction, each output sample the mean of the source samples under it:
// with libyuv's box filter up to 16 times each way, where its sums are
// exact, with its own beyond. It returns 0, or -1 on failure (an empty
// size, or a size it would grow).
int mcu_box_shrink(const uint8_t *sy, int sys, const uint8_t *su, int sus, const uint8_t *sv, int svs, int sw, int sh,
	uint8_t *dy, int dys, uint8_t *du, int dus, uint8_t *dv, int dvs, int dw, int dh);
