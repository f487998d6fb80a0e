package codec

import "errors"

// H264SPS is what a sequence parameter set says that reading a slice's
// frame_num needs (H.264 7.3.2.1.1). The zero value is an SPS not seen yet.
type H264SPS struct {
	Profile        int  // profile_idc
	ChromaFormat   int  // chroma_format_idc: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
	BitDepth       int  // of luma and of chroma, the larger
	FrameNumBits   int  // log2_max_frame_num: 4..16 (0: unknown)
	SeparatePlanes bool // separate_colour_plane_flag: a 2-bit colour_plane_id comes before frame_num
	// RefFrames is max_num_ref_frames, and MBs the frame's size in
	// macroblocks; both 0 when the SPS is cut short after frame_num.
	RefFrames, MBs int
}

// errH264Header is a parameter set or slice header cut short or out of
// range.
var errH264Header = errors.New("codec: H.264 header cut short or out of range")

// ParseH264SPS reads an SPS NAL unit (header byte first, emulation
// prevention bytes in place) as far as log2_max_frame_num, and on to the
// frame's size if it is there.
func ParseH264SPS(nal []byte) (H264SPS, error) {
	if len(nal) < 4 || nal[0]&0x1f != 7 {
		return H264SPS{}, errH264Header
	}
	// From profile_idc on, emulation prevention bytes taken out as the
	// decoder does (the constraint flags and level_idc may be zeros).
	r := bitReader{b: nal[1:], rbsp: true}
	profile := byte(r.bits(8))
	r.bits(16) // constraint flags, level_idc
	r.ue()     // seq_parameter_set_id
	sps := H264SPS{Profile: int(profile), ChromaFormat: 1, BitDepth: 8}
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma := r.ue() // chroma_format_idc
		if chroma == 3 {
			sps.SeparatePlanes = r.bits(1) == 1
		}
		luma, chromaDepth := r.ue(), r.ue() // bit_depth_luma_minus8, bit_depth_chroma_minus8
		sps.ChromaFormat, sps.BitDepth = int(min(chroma, 3)), 8+int(min(max(luma, chromaDepth), 8))
		r.bits(1) // qpprime_y_zero_transform_bypass_flag
		// seq_scaling_matrix_present_flag, then the lists present
		if r.bits(1) == 1 {
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bits(1) == 1 { // seq_scaling_list_present_flag
					size := 16
					if i >= 6 {
						size = 64
					}
					r.skipScalingList(size)
				}
			}
		}
	}
	minus4 := r.ue() // log2_max_frame_num_minus4
	if r.err || minus4 > 12 {
		return H264SPS{}, errH264Header
	}
	sps.FrameNumBits = int(minus4) + 4
	sps.RefFrames, sps.MBs = h264DPB(&r)
	return sps, nil
}

// h264DPB reads the rest of an SPS as far as its reference frames and
// size (H.264 7.3.2.1.1), or 0, 0 if it is cut short or out of range.
func h264DPB(r *bitReader) (refs, mbs int) {
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bits(1) // delta_pic_order_always_zero_flag
		r.se()    // offset_for_non_ref_pic
		r.se()    // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return 0, 0
		}
		for range n {
			r.se() // offset_for_ref_frame
		}
	}
	ref := int(r.ue())
	r.bits(1) // gaps_in_frame_num_value_allowed_flag
	w, h := int(r.ue())+1, int(r.ue())+1
	if r.bits(1) == 0 { // frame_mbs_only_flag: fields, two map units a frame's row
		h *= 2
	}
	if r.err {
		return 0, 0
	}
	// Out of range (more than 16 references, a picture larger than any
	// level's) is kept as read, for the limit to refuse; the sides are
	// bounded first (ue() gives up to 2^32-2), so that the product does
	// not wrap.
	return ref, min(w, 1<<20) * min(h, 1<<20)
}

// H264FrameNum reads the frame_num of a slice NAL unit (types 1 and 5,
// header byte first) coded with sps, and whether its picture is a
// reference one (nal_ref_idc not 0): frame_num counts reference pictures,
// so a picture whose frame_num is the last reference picture's or the one
// after it follows with no reference picture missing (H.264 7.4.3).
func H264FrameNum(nal []byte, sps H264SPS) (frameNum int, ref bool, err error) {
	if len(nal) < 2 || sps.FrameNumBits == 0 {
		return 0, false, errH264Header
	}
	if t := nal[0] & 0x1f; t != 1 && t != 5 {
		return 0, false, errH264Header
	}
	r := bitReader{b: nal[1:], rbsp: true}
	r.ue() // first_mb_in_slice
	r.ue() // slice_type
	r.ue() // pic_parameter_set_id
	if sps.SeparatePlanes {
		r.bits(2) // colour_plane_id
	}
	frameNum = int(r.bits(sps.FrameNumBits))
	if r.err {
		return 0, false, errH264Header
	}
	return frameNum, nal[0]&0x60 != 0, nil
}

// skipScalingList reads past a scaling_list() of size entries (7.3.2.1.1.1).
func (r *bitReader) skipScalingList(size int) {
	last, next := int32(8), int32(8)
	for range size {
		if next != 0 {
			next = (last + r.se() + 256) % 256
			if r.err {
				return
			}
		}
		if next != 0 {
			last = next
		}
	}
}
