package codec

import (
	"bytes"
	"encoding/binary"
)

// Container is a file format mcu reads, recognised by content.
type Container int

// The containers mcu reads.
const (
	UnknownContainer Container = iota
	IVF                        // VP8/VP9 in IVF
	AnnexB                     // H.264 elementary stream
	Ogg                        // Opus in Ogg
	Matroska                   // WebM and Matroska
	MP4                        // ISO BMFF (MP4, MOV)
)

func (c Container) String() string {
	return [...]string{"unknown", "IVF", "H.264 Annex B", "Ogg", "Matroska/WebM", "MP4"}[c]
}

// demuxer is FFmpeg's input format name for the container.
func (c Container) demuxer() string {
	return [...]string{"", "ivf", "h264", "ogg", "matroska", "mov"}[c]
}

// SniffContainer recognises a media file from its first bytes (a few
// hundred are enough), whatever its name.
func SniffContainer(head []byte) Container {
	switch {
	case bytes.HasPrefix(head, []byte("DKIF")):
		return IVF
	case bytes.HasPrefix(head, []byte("OggS")):
		return Ogg
	case bytes.HasPrefix(head, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return Matroska
	case len(head) >= 12 && isMP4Box(head[4:8]) && mp4BoxSized(head):
		return MP4
	case looksLikeAnnexB(head):
		return AnnexB
	}
	return UnknownContainer
}

// looksLikeAnnexB accepts a byte stream that starts (after optional zero
// bytes) with a start code and an H.264 NAL header whose forbidden bit is 0
// and whose type opens a stream: SPS, PPS, AUD, SEI, an IDR slice, or the
// first slice of another picture (a stream cut between keyframes). An
// H.265 stream is not taken for one.
func looksLikeAnnexB(b []byte) bool {
	i := 0
	for i < len(b) && i < 64 && b[i] == 0 {
		i++
	}
	if i < 2 || i >= len(b)-1 || b[i] != 1 {
		return false
	}
	nal := b[i+1]
	if nal&0x80 != 0 {
		return false
	}
	switch nal & 0x1f {
	case 5, 7, 8:
		return true
	case 6, 9:
		// An SEI or AUD is never a reference (nal_ref_idc 0): 0x46 is
		// HEVC's AUD (type 35), with which an H.265 stream starts.
		return nal&0x60 == 0
	case 1:
		// A stream cut from another between keyframes (a capture
		// started late, a file cut with dd) starts with a picture's
		// first slice, which the decoder skips to the next keyframe:
		// its first_mb_in_slice is 0 and its slice_type one of the ten.
		// HEVC's NAL header bytes that read so (0x01, 0x21, 0x41, 0x61)
		// are of reserved types or layers above 0.
		r := bitReader{b: b[i+2:], rbsp: true}
		first, typ := r.ue(), r.ue()
		return !r.err && first == 0 && typ <= 9
	}
	return false
}

// isMP4Box reports whether a file's first box type is one an MP4 or
// QuickTime file starts with: ftyp, or in older QuickTime files (which
// have none) the movie, its data, or padding.
func isMP4Box(typ []byte) bool {
	switch string(typ) {
	case "ftyp", "moov", "mdat", "wide", "free", "skip", "pnot":
		return true
	}
	return false
}

// mp4BoxSized reports whether a file's first box has a size a box can
// have: 8 bytes or more, or 1 and a 64-bit size of 16 or more after the
// type (a QuickTime file whose data, over 4 GB, comes first).
func mp4BoxSized(head []byte) bool {
	switch size := binary.BigEndian.Uint32(head); {
	case size >= 8:
		return true
	case size == 1:
		return len(head) >= 16 && binary.BigEndian.Uint64(head[8:]) >= 16
	}
	return false
}
