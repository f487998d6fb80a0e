//go:build cgo

package codec

/*
#ifdef MCU_STATIC_CODECS
#define MCU_STATIC_CODECS_ON 1
#else
#define MCU_STATIC_CODECS_ON 0
#endif
*/
import "C"

// StaticCodecs reports whether this binary links FFmpeg and libvpx
// statically, with mcu's cut-down lists of FFmpeg's codecs, containers and
// protocols (ffregistry.c) and libvpx's allocator without the clearing
// (vpxmem.c): the Makefile's build. A plain "go build" links Debian's
// shared libraries.
const StaticCodecs = C.MCU_STATIC_CODECS_ON == 1
