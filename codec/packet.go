//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec
#include <string.h>
#include <libavcodec/avcodec.h>

// mcu_packet_load gives pkt a buffer of its own with size bytes of data
// followed by AV_INPUT_BUFFER_PADDING_SIZE zeros (av_new_packet allocates
// and zeroes them, and sets the buffer's size right). What pkt held is
// let go first: av_new_packet would overwrite it.
static int mcu_packet_load(AVPacket *pkt, const void *data, int size) {
	av_packet_unref(pkt);
	int err = av_new_packet(pkt, size);
	if (err < 0) return err;
	if (size > 0) memcpy(pkt->data, data, size);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// inputPadding is FFmpeg's AV_INPUT_BUFFER_PADDING_SIZE: decoders and
// parsers may read this far past the end of a packet's data, so it must be
// there and be zero.
const inputPadding = C.AV_INPUT_BUFFER_PADDING_SIZE

// LoadPacket puts a copy of data in pkt, followed by FFmpeg's padding,
// zeroed, in place of what pkt held. The packet's other fields are reset. go-astiav's
// Packet.FromData cannot do this: it allocates no padding, while
// av_packet_from_data takes it to be there, and handing it data with
// room for the padding would make FFmpeg believe the buffer 64 bytes
// longer than it is.
func LoadPacket(pkt *astiav.Packet, data []byte) error {
	c := avPacket(pkt)
	if c == nil {
		return errors.New("codec: packet: go-astiav's Packet is not laid out as mcu expects")
	}
	if len(data) > math.MaxInt32-inputPadding {
		return fmt.Errorf("codec: packet of %d bytes: too large", len(data))
	}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	if err := C.mcu_packet_load(c, p, C.int(len(data))); err < 0 {
		return fmt.Errorf("codec: packet: %w", astiav.Error(err))
	}
	return nil
}

// The FFmpeg structs behind go-astiav's objects, or nil if go-astiav does
// not hold them as mcu expects. go-astiav v0.16.0 (the version for FFmpeg
// 5.1, pinned) keeps each as its object's first field and has no accessor
// for it.
var (
	avPacket          = cStruct[astiav.Packet, C.AVPacket]()
	avCodecContext    = cStruct[astiav.CodecContext, C.AVCodecContext]()
	avCodecParameters = cStruct[astiav.CodecParameters, C.AVCodecParameters]()
)

// cStruct returns the accessor of the C struct S behind a go-astiav T: its
// first field, if that points to a struct cgo names as it names S, of S's
// size. That is checked once, on the first call, not for every packet:
// reflection on the per-frame path costs more than the copy.
func cStruct[T, S any]() func(*T) *S {
	laidOut := sync.OnceValue(func() bool {
		f, want := reflect.TypeFor[T]().Field(0), reflect.TypeFor[S]()
		return f.Offset == 0 && f.Type.Kind() == reflect.Pointer &&
			f.Type.Elem().Name() == want.Name() && f.Type.Elem().Size() == want.Size()
	})
	return func(v *T) *S {
		if !laidOut() {
			return nil
		}
		return *(**S)(unsafe.Pointer(v))
	}
}

// reorderDelay is how many pictures the decoder behind cc holds back to
// give them out in display order (AVCodecContext.has_b_frames, which the
// H.264 decoder sets from the SPS or raises when pictures come out of
// order), 0 when it cannot tell.
func reorderDelay(cc *astiav.CodecContext) int {
	c := avCodecContext(cc)
	if c == nil {
		return 0
	}
	return int(c.has_b_frames)
}

// clearColorRange sets cc's colour range to unspecified, for the H.264
// decoder to set it again from the SPS only if that says it.
func clearColorRange(cc *astiav.CodecContext) {
	if c := avCodecContext(cc); c != nil {
		c.color_range = C.AVCOL_RANGE_UNSPECIFIED
	}
}

// packetBuffer is what pkt's buffer holds from its data on, padding
// included, and the size the buffer says it has: what FFmpeg may read. For
// the tests, which cannot use cgo themselves.
func packetBuffer(pkt *astiav.Packet) (held []byte, size int) {
	c := avPacket(pkt)
	if c == nil || c.buf == nil || c.data == nil {
		return nil, 0
	}
	n := int(c.buf.size) - int(uintptr(unsafe.Pointer(c.data))-uintptr(unsafe.Pointer(c.buf.data)))
	return unsafe.Slice((*byte)(unsafe.Pointer(c.data)), n), int(c.buf.size)
}
