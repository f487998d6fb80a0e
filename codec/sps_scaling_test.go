//go:build cgo

package codec

import "testing"

// bits writes v's n lowest bits, the most significant first (bitWriter is
// profile_test.go's).
func (w *bitWriter) bits(n int, v uint) {
	for i := n - 1; i >= 0; i-- {
		w.bit(v >> i)
	}
}

// se writes an Exp-Golomb se(v): k > 0 as the code 2k-1, k ≤ 0 as -2k
// (H.264 9.1.1).
func (w *bitWriter) se(k int) {
	if k > 0 {
		w.ue(uint(2*k - 1))
	} else {
		w.ue(uint(-2 * k))
	}
}

// nal returns the RBSP with its stop bit, emulation prevention bytes put
// in, after header.
func (w *bitWriter) nal(header byte) []byte {
	w.bits(1, 1)
	out, zeros := []byte{header}, 0
	for _, c := range w.b {
		if zeros >= 2 && c <= 3 {
			out, zeros = append(out, 3), 0
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// TestBitReaderSE: se(v) maps the codes 0, 1, 2, 3, 4 to 0, 1, -1, 2, -2
// (H.264 9.1.1), and reads back what the test's writer wrote.
func TestBitReaderSE(t *testing.T) {
	// ue codes 1, 010, 011, 00100, 00101.
	r := bitReader{b: []byte{0xa6, 0x42, 0x80}}
	for i, want := range []int32{0, 1, -1, 2, -2} {
		if got := r.se(); got != want || r.err {
			t.Errorf("code %d: se %d (err %v), want %d", i, got, r.err, want)
		}
	}
	var w bitWriter
	for k := -300; k <= 300; k++ {
		w.se(k)
	}
	r = bitReader{b: w.b}
	for k := -300; k <= 300; k++ {
		if got := r.se(); int(got) != k || r.err {
			t.Fatalf("se %d read back as %d (err %v)", k, got, r.err)
		}
	}
}

// h264TestSPS writes a High profile 4:2:0 SPS of 640x368 with frame_num of
// 9 bits and 3 reference frames; lists writes its scaling lists, if any.
func h264TestSPS(lists func(w *bitWriter)) []byte {
	var w bitWriter
	w.bits(8, 100) // profile_idc: High
	w.bits(8, 0)   // constraint flags
	w.bits(8, 31)  // level_idc
	w.ue(0)        // seq_parameter_set_id
	w.ue(1)        // chroma_format_idc: 4:2:0
	w.ue(0)        // bit_depth_luma_minus8
	w.ue(0)        // bit_depth_chroma_minus8
	w.bits(1, 0)   // qpprime_y_zero_transform_bypass_flag
	if lists == nil {
		w.bits(1, 0) // seq_scaling_matrix_present_flag
	} else {
		w.bits(1, 1)
		lists(&w)
	}
	w.ue(5)      // log2_max_frame_num_minus4
	w.ue(0)      // pic_order_cnt_type
	w.ue(2)      // log2_max_pic_order_cnt_lsb_minus4
	w.ue(3)      // max_num_ref_frames
	w.bits(1, 0) // gaps_in_frame_num_value_allowed_flag
	w.ue(39)     // pic_width_in_mbs_minus1: 640
	w.ue(22)     // pic_height_in_map_units_minus1: 368
	w.bits(1, 1) // frame_mbs_only_flag
	w.bits(1, 1) // direct_8x8_inference_flag
	w.bits(1, 0) // frame_cropping_flag
	w.bits(1, 0) // vui_parameters_present_flag
	return w.nal(0x67)
}

// TestParseH264SPSScalingLists: an SPS with scaling lists is read past
// them to its frame_num size, references and picture size, whether a list
// says "use the default" (a first delta of -8 making the next scale 0,
// which ends the list) or gives its scales, rising and falling.
func TestParseH264SPSScalingLists(t *testing.T) {
	want := H264SPS{Profile: 100, ChromaFormat: 1, BitDepth: 8, FrameNumBits: 9, RefFrames: 3, MBs: 40 * 23}
	explicit := func(w *bitWriter, size int) {
		for i := range size {
			w.se([]int{8, -3, 5, -1}[i%4]) // scales 16, 13, 18, 17, 25, ...: never 0
		}
	}
	for _, c := range []struct {
		name  string
		lists func(w *bitWriter)
	}{
		{"none", nil},
		{"4x4 intra Y default, 4x4 intra Cb explicit", func(w *bitWriter) {
			w.bits(1, 1)
			w.se(-8)
			w.bits(1, 1)
			explicit(w, 16)
			w.bits(6, 0) // lists 2..7 not present
		}},
		{"8x8 explicit then default", func(w *bitWriter) {
			w.bits(6, 0)
			w.bits(1, 1)
			explicit(w, 64)
			w.bits(1, 1)
			w.se(-8)
		}},
	} {
		nal := h264TestSPS(c.lists)
		got, err := ParseH264SPS(nal)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", c.name, got, err, want)
		}
	}
}
