#include <stdint.h>

int mcu_shrink_two_thirds(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
	uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh);

// mcu_shrink_simd limits the vector code mcu_shrink_two_thirds uses to
// level (1: AVX2, 0: none) and what the CPU has, and returns the
// level now in use. For tests: not safe while a shrink runs.
int mcu_shrink_simd(int level);
