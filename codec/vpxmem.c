// libvpx's allocator (vpx_mem/vpx_mem.c), with one change: vpx_calloc asks
// the C library for zeroed memory instead of clearing what malloc gave.
// libvpx's own vpx_calloc writes zeros over every byte, so the VP8
// encoder's token buffer (mb_rows*mb_cols*384 tokens of 16 bytes: 22 MB at
// 1280x720, sized for the worst frame) was resident in full from the first
// frame. calloc takes fresh pages from the kernel, already zero, and only
// the pages the encoder writes become resident. That holds because mcu
// fixes glibc's mmap threshold (malloc_cgo.go): with glibc's moving
// threshold a 22 MB block freed and asked for again could come from the
// heap, which calloc clears. Compiled only with MCU_STATIC_CODECS defined
// (the Makefile's static link, see build/pkgconfig); the shared libvpx
// keeps its own allocator.
//
// Layout as libvpx's: the block malloc returned is stored in the word
// before the aligned address, which vpx_free reads.

#ifdef MCU_STATIC_CODECS

#include <stdint.h>
#include <stdlib.h>

#define VPX_MAX_ALLOCABLE ((uint64_t)1 << 40)
#define VPX_DEFAULT_ALIGNMENT 16

static void *aligned(size_t align, size_t size, int zero)
{
	size_t total = size + align - 1 + sizeof(size_t);
	if (total < size || total > VPX_MAX_ALLOCABLE)
		return NULL;
	void *block = zero ? calloc(1, total) : malloc(total);
	if (!block)
		return NULL;
	uintptr_t a = ((uintptr_t)block + sizeof(size_t) + align - 1) & ~(uintptr_t)(align - 1);
	((size_t *)a)[-1] = (size_t)block;
	return (void *)a;
}

void *vpx_memalign(size_t align, size_t size) { return aligned(align, size, 0); }

void *vpx_malloc(size_t size) { return aligned(VPX_DEFAULT_ALIGNMENT, size, 0); }

void *vpx_calloc(size_t num, size_t size)
{
	if (num != 0 && size > VPX_MAX_ALLOCABLE / num)
		return NULL;
	return aligned(VPX_DEFAULT_ALIGNMENT, num * size, 1);
}

void vpx_free(void *p)
{
	if (p)
		free((void *)((size_t *)p)[-1]);
}

#endif // MCU_STATIC_CODECS
