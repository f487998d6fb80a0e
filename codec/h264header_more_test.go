package codec

import "testing"

// highSPS is a High 4:4:4 Predictive SPS (profile 244) of 4:4:4 chroma,
// its colour planes coded apart or not, with scaling list 9 (a chroma
// 8x8 one, which only 4:4:4 has) sent when scaling is set, frame_num of
// 4 + frameNumMinus4 bits, and a 20x12 macroblock picture.
func highSPS(separate, scaling bool, frameNumMinus4 uint) []byte {
	var w bitWriter
	w.ue(0) // seq_parameter_set_id
	w.ue(3) // chroma_format_idc: 4:4:4
	if separate {
		w.bit(1)
	} else {
		w.bit(0)
	}
	w.ue(0)  // bit_depth_luma_minus8
	w.ue(0)  // bit_depth_chroma_minus8
	w.bit(0) // qpprime_y_zero_transform_bypass_flag
	if scaling {
		w.bit(1) // seq_scaling_matrix_present_flag
		for i := range 12 {
			if i == 9 {
				w.bit(1) // seq_scaling_list_present_flag
				w.ue(16) // delta_scale se(-8): the default matrix, the list's end
			} else {
				w.bit(0)
			}
		}
	} else {
		w.bit(0)
	}
	w.ue(frameNumMinus4) // log2_max_frame_num_minus4
	w.ue(0)              // pic_order_cnt_type
	w.ue(0)              // log2_max_pic_order_cnt_lsb_minus4
	w.ue(2)              // max_num_ref_frames
	w.bit(0)             // gaps_in_frame_num_value_allowed_flag
	w.ue(19)             // pic_width_in_mbs_minus1
	w.ue(11)             // pic_height_in_map_units_minus1
	w.bit(1)             // frame_mbs_only_flag
	w.bit(1)             // direct_8x8_inference_flag, and the rest
	return append([]byte{0x67, 244, 0, 0x1f}, w.bytes()...)
}

// TestParseH264SPSFourFourFour: an SPS of 4:4:4 chroma is read to its
// end: its twelve scaling list flags (not the eight of 4:2:0), and the
// flag of separate colour planes, which puts colour_plane_id before each
// slice's frame_num.
func TestParseH264SPSFourFourFour(t *testing.T) {
	for _, c := range []struct {
		name              string
		separate, scaling bool
	}{
		{"joint planes", false, false},
		{"separate planes", true, false},
		{"scaling lists", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sps, err := ParseH264SPS(highSPS(c.separate, c.scaling, 2))
			if err != nil {
				t.Fatal(err)
			}
			want := H264SPS{Profile: 244, ChromaFormat: 3, BitDepth: 8, FrameNumBits: 6, SeparatePlanes: c.separate, RefFrames: 2, MBs: 240}
			if sps != want {
				t.Fatalf("read %+v, want %+v", sps, want)
			}
			// A P slice: first_mb_in_slice 0, slice_type 5,
			// pic_parameter_set_id 0, colour_plane_id 2 when the planes
			// are apart, frame_num 37.
			var w bitWriter
			w.ue(0)
			w.ue(5)
			w.ue(0)
			if c.separate {
				w.put(2, 2)
			}
			w.put(37, 6)
			w.bit(1)
			fn, ref, err := H264FrameNum(append([]byte{0x41}, w.bytes()...), sps)
			if err != nil || fn != 37 || !ref {
				t.Errorf("frame_num %d, reference %v, %v; want 37, a reference picture", fn, ref, err)
			}
		})
	}
}

// TestParseH264SPSFrameNumRange: log2_max_frame_num_minus4 goes up to 12
// (frame_num of 16 bits, H.264 7.4.2.1.1); 13 is out of range, an SPS
// FFmpeg refuses too, not one whose frame_num wraps at 2^17.
func TestParseH264SPSFrameNumRange(t *testing.T) {
	if sps, err := ParseH264SPS(highSPS(false, false, 12)); err != nil || sps.FrameNumBits != 16 {
		t.Errorf("log2_max_frame_num_minus4 12: %+v, %v; want frame_num of 16 bits", sps, err)
	}
	if sps, err := ParseH264SPS(highSPS(false, false, 13)); err == nil {
		t.Errorf("log2_max_frame_num_minus4 13 read as %+v", sps)
	}
}

// TestH264FrameNumReference: a slice belongs to a reference picture
// whenever its nal_ref_idc is not 0 (H.264 7.4.1), 1 as much as 2 or 3:
// x264 marks its P pictures 2, other encoders may mark theirs 1. Taken
// for a non-reference picture, the next picture's frame_num would look
// like a gap to the RTP assembler.
func TestH264FrameNumReference(t *testing.T) {
	sps := H264SPS{FrameNumBits: 4}
	// first_mb_in_slice 0, slice_type 5 (P), pic_parameter_set_id 0,
	// frame_num 3.
	var w bitWriter
	w.ue(0)
	w.ue(5)
	w.ue(0)
	w.put(3, 4)
	w.bit(1)
	for _, c := range []struct {
		header byte
		ref    bool
	}{{0x01, false}, {0x21, true}, {0x41, true}, {0x61, true}} {
		fn, ref, err := H264FrameNum(append([]byte{c.header}, w.bytes()...), sps)
		if err != nil || fn != 3 || ref != c.ref {
			t.Errorf("NAL header %#02x: frame_num %d, reference %v, %v; want 3, %v", c.header, fn, ref, err, c.ref)
		}
	}
}
