#include <stdint.h>

int mcu_shrink_two_thirds(const uint8_t *sy, int sys, const uint8_t *su, const uint8_t *sv, int scs, int sw, int sh,
	uint8_t *dy, int dys, uint8_t *du, uint8_t *dv, int dcs, int dw, int dh);
