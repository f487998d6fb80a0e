package codec

import (
	"bytes"
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
	AV1
)

func (c VideoCodec) String() string {
	switch c {
	case VP8:
		return "VP8"
	case VP9:
		return "VP9"
	case H264:
		return "H264"
	case AV1:
		return "AV1"
	}
	return fmt.Sprintf("VideoCodec(%d)", int(c))
}

// ParseVideoCodec accepts a codec name ("vp8", "VP9", "h264", "H.264",
// "AV1") or a MIME type ("video/VP8").
func ParseVideoCodec(s string) (VideoCodec, error) {
	name := strings.ToUpper(strings.TrimPrefix(strings.ToLower(s), "video/"))
	switch strings.ReplaceAll(name, ".", "") {
	case "VP8":
		return VP8, nil
	case "VP9":
		return VP9, nil
	case "H264", "AVC":
		return H264, nil
	case "AV1":
		return AV1, nil
	}
	return 0, fmt.Errorf("codec: unsupported video codec %q", s)
}

// IsKeyframe reports whether a whole compressed frame (a VP8/VP9 frame, an
// H.264 access unit in Annex B, or an AV1 temporal unit of OBUs with size
// fields) can be decoded on its own. It only looks at headers and never
// panics on malformed input. An H.264 access unit must hold the start of an
// IDR picture: the tail of one (its later slices) is not a keyframe.
func IsKeyframe(c VideoCodec, frame []byte) bool {
	switch c {
	case VP8:
		_, _, ok := VP8KeyframeSize(frame)
		return ok
	case VP9:
		return vp9Keyframe(frame)
	case H264:
		return h264StartsIDR(frame)
	case AV1:
		return av1HasSequenceHeader(frame)
	}
	return false
}

// VP8KeyframeSize returns the picture size a VP8 key frame gives, and
// whether frame (a whole frame, or the first partition's start) is one.
// RFC 6386 9.1: bit 0 of the frame tag is 0 for a key frame, which then
// carries the start code 9d 01 2a and a 14-bit width and height.
func VP8KeyframeSize(frame []byte) (w, h int, ok bool) {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, false
	}
	return int(frame[6]) | int(frame[7]&0x3f)<<8, int(frame[8]) | int(frame[9]&0x3f)<<8, true
}

// av1HasSequenceHeader reports whether a temporal unit carries a sequence
// header OBU. A decoder can only start at one, and real-time encoders send
// one with every keyframe (the WebRTC AV1 payload format asks for it): it is
// the test WebRTC receivers use too.
func av1HasSequenceHeader(tu []byte) (found bool) {
	forEachAV1SequenceHeader(tu, func([]byte) { found = true })
	return found
}

// forEachAV1SequenceHeader calls fn with the payload of each sequence
// header OBU of a temporal unit (what of it the unit holds), up to an OBU
// that does not parse.
func forEachAV1SequenceHeader(tu []byte, fn func(payload []byte)) {
	for len(tu) > 0 {
		header := tu[0]
		if header&0x80 != 0 { // obu_forbidden_bit
			return
		}
		obuType := header >> 3 & 0x0f
		// An obu_extension_flag adds a byte; without obu_has_size_field
		// the OBU runs to the end.
		n := min(1+int(header>>2&1), len(tu))
		if header&0x02 == 0 {
			if obuType == 1 {
				fn(tu[n:])
			}
			return
		}
		size, m := leb128(tu[n:])
		if m == 0 {
			return
		}
		n += m
		if obuType == 1 { // OBU_SEQUENCE_HEADER
			fn(tu[n:min(uint64(len(tu)), uint64(n)+size)])
		}
		if size > uint64(len(tu)-n) {
			return
		}
		tu = tu[n+int(size):]
	}
}

// leb128 decodes an AV1 leb128 value; n is 0 when b does not hold one.
func leb128(b []byte) (v uint64, n int) {
	for i := 0; i < 8 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// maxDPBMBs is the most reference frames an H.264 stream may keep, in
// macroblocks all told: level 5.1's and 5.2's MaxDpbMbs (H.264 table A-1),
// five frames at 4K or sixteen at 1080p, ~70 MB at most.
const maxDPBMBs = 184320

// fitsLive reports whether a live stream with this SPS stays within what
// mcu negotiates (see FitsLiveProfile).
func (s H264SPS) fitsLive() bool {
	switch s.Profile {
	case 144, 139, 134, 135:
		// FFmpeg reads the chroma format and bit depth of the withdrawn
		// High 4:4:4 (144), the standard those of 139, 134 and 135: for
		// these, what ParseH264SPS reads is not what the decoder takes,
		// and a crafted SPS could pass for 4:2:0.
		return false
	}
	// Divided, not multiplied: sizes out of range would overflow.
	return s.ChromaFormat <= 1 && s.BitDepth == 8 && s.RefFrames <= 16 && s.MBs <= maxDPBMBs/max(s.RefFrames, 1)
}

// FitsLiveProfile reports whether a frame from a live sender stays within
// what mcu negotiates: H.264 and VP9 pictures of 8 bits, 4:2:0 (or
// monochrome), H.264 with no more reference frames than level 5.2 allows
// at its size; AV1 Main (4:2:0, 8 or 10 bits). A sender that goes beyond
// (4:4:4 at 14 bits, say, or sixteen reference frames at 4K) would make
// its decoder hold pictures up to four times larger, or three times more
// of them: hundreds of megabytes a participant. Every parameter set, frame of a VP9 superframe and AV1
// sequence header is looked at. VP8 has no such profiles. A frame that
// says nothing of its profile (no SPS, no sequence header) fits.
func FitsLiveProfile(c VideoCodec, frame []byte) bool {
	switch c {
	case H264:
		fits := true
		ForEachNAL(frame, func(nal []byte) bool {
			if len(nal) > 0 && nal[0]&0x1f == 7 {
				sps, err := ParseH264SPS(nal)
				fits = err == nil && sps.fitsLive()
			}
			return fits
		})
		return fits
	case VP9:
		fits := true
		forEachVP9Frame(frame, func(f []byte) bool {
			br := bitReader{b: f}
			fits = br.bits(2) != 2 || br.bits(1)|br.bits(1)<<1 == 0 // frame_marker, then the profile
			return fits
		})
		return fits
	case AV1:
		fits := true
		forEachAV1SequenceHeader(frame, func(seq []byte) {
			fits = fits && len(seq) > 0 && seq[0]>>5 == 0 // seq_profile: Main
		})
		return fits
	}
	return true
}

// Frames is how many frames the decoder decodes from one frame as it
// comes from RTP: those of a VP9 superframe (each is decoded, the hidden
// ones too), otherwise one.
func Frames(c VideoCodec, frame []byte) int {
	if c != VP9 {
		return 1
	}
	n := 0
	forEachVP9Frame(frame, func([]byte) bool { n++; return true })
	return max(n, 1)
}

// forEachVP9Frame calls fn with each frame of a VP9 superframe, by the
// index at its end, until fn returns false; anything else is one frame.
func forEachVP9Frame(b []byte, fn func(frame []byte) bool) {
	if len(b) == 0 {
		return
	}
	last := b[len(b)-1]
	frames, size := int(last&7)+1, int(last>>3&3)+1
	index := 2 + frames*size
	if last&0xe0 != 0xc0 || index > len(b) || b[len(b)-index] != last { // no superframe index
		fn(b)
		return
	}
	data, sizes := b[:len(b)-index], b[len(b)-index+1:]
	for i := range frames {
		n := 0
		for j := range size {
			n |= int(sizes[i*size+j]) << (8 * j)
		}
		if n < 0 || n > len(data) { // (n < 0: 4-byte sizes on 32 bits)
			n = len(data)
		}
		if !fn(data[:n]) {
			return
		}
		data = data[n:]
	}
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
	return br.bits(1) == 0 && !br.err // frame_type 0 = KEY_FRAME
}

// h264StartsIDR reports whether an Annex B access unit holds the first
// slice of an IDR picture. A picture of several slices whose first packets
// were lost still holds IDR slices, and a decoder that resumed from them
// would show a corrupt picture until the next keyframe.
func h264StartsIDR(au []byte) bool {
	found := false
	ForEachNAL(au, func(nal []byte) bool {
		if len(nal) > 0 && nal[0]&0x1f == 5 && H264FirstSlice(nal) {
			found = true
			return false
		}
		return true
	})
	return found
}

// H264RecoveryPoint reports whether an Annex B access unit begins a
// picture that a recovery point SEI (H.264 D.2.8) comes before, and its
// recovery_frame_cnt: an encoder that refreshes its pictures gradually
// (x264's or NVENC's intra refresh) sends no IDR picture after its first,
// and a decoder may start at such a picture instead, its pictures whole
// frames pictures later.
func H264RecoveryPoint(au []byte) (frames int, ok bool) {
	recovery, first := false, false
	ForEachNAL(au, func(nal []byte) bool {
		if len(nal) == 0 {
			return true
		}
		switch nal[0] & 0x1f {
		case 6:
			if n, found := seiRecoveryPoint(nal[1:]); found && !recovery {
				frames, recovery = n, true
			}
		case 1, 5:
			first = H264FirstSlice(nal)
			return false
		}
		return true
	})
	return frames, recovery && first
}

// StartsDecoding reports whether a decoder waiting for a keyframe may
// start at frame, of codec c: a keyframe, or an H.264 recovery point.
func StartsDecoding(c VideoCodec, frame []byte) bool {
	if IsKeyframe(c, frame) {
		return true
	}
	if c != H264 {
		return false // no other codec's frame is read as H.264
	}
	_, ok := H264RecoveryPoint(frame)
	return ok
}

// seiRecoveryPoint reads an SEI NAL unit's payload (after its header
// byte) for a recovery point message (payload type 6), and returns its
// recovery_frame_cnt.
func seiRecoveryPoint(nal []byte) (frames int, ok bool) {
	r := bitReader{b: nal, rbsp: true}
	// more_rbsp_data: a message, not the stop bit's byte (0x80) alone.
	for r.pos < len(r.b)-1 || r.pos == len(r.b)-1 && r.b[r.pos] != 0x80 {
		typ, size := r.seiNumber(), r.seiNumber()
		if r.err || size > len(r.b)-r.pos {
			return 0, false
		}
		if typ == 6 {
			n := r.ue()
			return int(min(n, 1<<16)), !r.err
		}
		for range size {
			r.bits(8)
		}
	}
	return 0, false
}

// H264HasSlice reports whether an Annex B access unit holds a slice of a
// picture (NAL unit types 1 to 5), not only parameter sets, SEI or a
// delimiter.
func H264HasSlice(au []byte) bool {
	found := false
	ForEachNAL(au, func(nal []byte) bool {
		if len(nal) > 0 {
			t := nal[0] & 0x1f
			found = t >= 1 && t <= 5
		}
		return !found
	})
	return found
}

// H264HasSPS reports whether an Annex B access unit holds an SPS.
func H264HasSPS(au []byte) bool {
	found := false
	ForEachNAL(au, func(nal []byte) bool {
		found = len(nal) > 0 && nal[0]&0x1f == 7
		return !found
	})
	return found
}

// H264FirstSlice reports whether a slice NAL unit (header byte first) is the
// first of its picture: its header starts with first_mb_in_slice, an
// Exp-Golomb ue(v) in which 0 is the single bit 1 (H.264 7.3.3). The byte
// after the NAL header is never an emulation prevention byte, so it is read
// as it is.
func H264FirstSlice(nal []byte) bool {
	return len(nal) >= 2 && nal[1]&0x80 != 0
}

// H264StartsAccessUnit reports whether a NAL unit (header byte first) can
// only come at the start of an access unit, before its first slice: an
// access unit delimiter, SEI, SPS or PPS, or the first slice of a picture
// (H.264 7.4.1.2.3). A later slice, or anything else, is mid-picture.
func H264StartsAccessUnit(nal []byte) bool {
	if len(nal) == 0 {
		return false
	}
	switch nal[0] & 0x1f {
	case 6, 7, 8, 9: // SEI, SPS, PPS, access unit delimiter
		return true
	case 1, 5: // slice of a non-IDR or IDR picture
		return H264FirstSlice(nal)
	}
	return false
}

// ForEachNAL calls fn with each NAL unit (without start code) of an Annex B
// byte stream, until fn returns false.
func ForEachNAL(b []byte, fn func(nal []byte) bool) {
	i := bytes.Index(b, startCode)
	for i >= 0 {
		start := i + len(startCode)
		next := bytes.Index(b[start:], startCode)
		if next < 0 {
			if start < len(b) {
				fn(b[start:])
			}
			return
		}
		end := start + next
		if end > start && b[end-1] == 0 { // 4-byte start code
			end--
		}
		if !fn(b[start:end]) {
			return
		}
		i = start + next
	}
}
