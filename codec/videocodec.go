package codec

import (
	"fmt"
	"strings"
)

// VideoCodec names a compressed video format mcu can decode.
type VideoCodec int

// The video codecs mcu decodes. VP8 is also what it encodes.
const (
	VP8 VideoCodec = iota + 1
	VP9
	H264
)

func (c VideoCodec) String() string {
	switch c {
	case VP8:
		return "VP8"
	case VP9:
		return "VP9"
	case H264:
		return "H264"
	}
	return fmt.Sprintf("VideoCodec(%d)", int(c))
}

// ParseVideoCodec accepts a codec name ("vp8", "VP9", "h264", "H.264") or a
// MIME type ("video/VP8").
func ParseVideoCodec(s string) (VideoCodec, error) {
	name := strings.ToUpper(strings.TrimPrefix(strings.ToLower(s), "video/"))
	switch strings.ReplaceAll(name, ".", "") {
	case "VP8":
		return VP8, nil
	case "VP9":
		return VP9, nil
	case "H264", "AVC":
		return H264, nil
	}
	return 0, fmt.Errorf("codec: unsupported video codec %q", s)
}

// IsKeyframe reports whether a whole compressed frame (a VP8/VP9 frame, or an
// H.264 access unit in Annex B) can be decoded on its own. It only looks at
// headers and never panics on malformed input.
func IsKeyframe(c VideoCodec, frame []byte) bool {
	switch c {
	case VP8:
		// RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame, and a
		// key frame carries the start code 9d 01 2a.
		return len(frame) >= 10 && frame[0]&1 == 0 &&
			frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a
	case VP9:
		return vp9Keyframe(frame)
	case H264:
		return h264HasIDR(frame)
	}
	return false
}

// vp9Keyframe reads the start of the VP9 uncompressed header.
func vp9Keyframe(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	br := bitReader{b: b}
	if br.bits(2) != 2 { // frame_marker
		return false
	}
	profile := br.bits(1) | br.bits(1)<<1
	if profile == 3 {
		br.bits(1) // reserved_zero
	}
	if br.bits(1) == 1 { // show_existing_frame
		return false
	}
	return br.bits(1) == 0 && !br.overrun // frame_type 0 = KEY_FRAME
}

type bitReader struct {
	b       []byte
	pos     int
	overrun bool
}

func (r *bitReader) bits(n int) uint {
	var v uint
	for range n {
		if r.pos >= len(r.b)*8 {
			r.overrun = true
			return 0
		}
		bit := r.b[r.pos/8] >> (7 - r.pos%8) & 1
		v = v<<1 | uint(bit)
		r.pos++
	}
	return v
}

// h264HasIDR reports whether an Annex B access unit holds an IDR slice.
func h264HasIDR(au []byte) bool {
	found := false
	ForEachNAL(au, func(nal []byte) bool {
		if len(nal) > 0 && nal[0]&0x1f == 5 {
			found = true
			return false
		}
		return true
	})
	return found
}

// ForEachNAL calls fn with each NAL unit (without start code) of an Annex B
// byte stream, until fn returns false.
func ForEachNAL(b []byte, fn func(nal []byte) bool) {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && b[end-1] == 0 { // 4-byte start code
					end--
				}
				if !fn(b[start:end]) {
					return
				}
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		fn(b[start:])
	}
}
