//go:build cgo

package codec

import (
	"bytes"
	"encoding/base64"
	"os"
	"testing"

	"mcu/internal/mediatest"
)

// spsNAL is an H.264 SPS NAL unit with the given profile_idc and, for the
// High profiles, chroma_format_idc and bit depth (luma and chroma).
func spsNAL(profile byte, chroma, depth uint) []byte {
	var w bitWriter
	w.ue(0) // seq_parameter_set_id
	if profile >= 100 {
		w.ue(chroma)
		if chroma == 3 {
			w.bit(0) // separate_colour_plane_flag
		}
		w.ue(depth - 8)
		w.ue(depth - 8)
		w.bit(0) // qpprime_y_zero_transform_bypass_flag
		w.bit(0) // seq_scaling_matrix_present_flag
	}
	w.ue(0)  // log2_max_frame_num_minus4
	w.bit(1) // and the rest, as far as the reader goes
	return append([]byte{0x67, profile, 0, 0x1f}, w.bytes()...)
}

// spsNALSized is a constrained baseline SPS with refs reference frames and
// a picture of w x h macroblocks (map units of h/2 if fields), its picture
// order count of type poc (1: with a cycle of three).
func spsNALSized(refs, w, h, poc uint, fields bool) []byte {
	var b bitWriter
	b.ue(0) // seq_parameter_set_id
	b.ue(0) // log2_max_frame_num_minus4
	b.ue(poc)
	switch poc {
	case 0:
		b.ue(2) // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		b.bit(0) // delta_pic_order_always_zero_flag
		b.ue(3)  // offset_for_non_ref_pic: se(-1) ... as ue codes
		b.ue(0)  // offset_for_top_to_bottom_field
		b.ue(3)  // num_ref_frames_in_pic_order_cnt_cycle
		b.ue(1)
		b.ue(2)
		b.ue(4)
	}
	b.ue(refs)
	b.bit(0) // gaps_in_frame_num_value_allowed_flag
	b.ue(w - 1)
	if fields {
		b.ue(h/2 - 1)
		b.bit(0) // frame_mbs_only_flag
	} else {
		b.ue(h - 1)
		b.bit(1)
	}
	b.bit(1) // direct_8x8_inference_flag, and the rest
	return append([]byte{0x67, 66, 0xc0, 0x33}, b.bytes()...)
}

// bitWriter writes the bits and Exp-Golomb codes of H.264 headers, and
// the fields of AV1's.
type bitWriter struct {
	b []byte
	n int // bits written
}

func (w *bitWriter) bit(v uint) {
	if w.n%8 == 0 {
		w.b = append(w.b, 0)
	}
	w.b[len(w.b)-1] |= byte(v&1) << (7 - w.n%8)
	w.n++
}

func (w *bitWriter) ue(v uint) {
	v++
	bits := 0
	for x := v; x > 1; x >>= 1 {
		bits++
	}
	for range bits {
		w.bit(0)
	}
	for i := bits; i >= 0; i-- {
		w.bit(v >> i)
	}
}

func (w *bitWriter) bytes() []byte { return w.b }

// put writes v's n low bits, the most significant first.
func (w *bitWriter) put(v uint64, n int) *bitWriter {
	for i := n - 1; i >= 0; i-- {
		w.bit(uint(v >> i))
	}
	return w
}

// TestFitsLiveProfile: what mcu negotiates (8-bit 4:2:0 or monochrome;
// AV1 Main) fits, the testdata clips among it, whatever profile a stream
// says it is; more bits and chroma do not, in any parameter set, frame of
// a superframe or sequence header.
func TestFitsLiveProfile(t *testing.T) {
	au := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	idr := []byte{0x65, 0x88, 0x84}
	for _, c := range []struct {
		name  string
		codec VideoCodec
		frame []byte
		fits  bool
	}{
		{"H.264 constrained baseline", H264, au(spsNAL(66, 1, 8), idr), true},
		{"H.264 main", H264, au(spsNAL(77, 1, 8), idr), true},
		{"H.264 high", H264, au(spsNAL(100, 1, 8), idr), true},
		{"H.264 high, 4:4:4 in its SPS", H264, au(spsNAL(100, 3, 8), idr), false},
		{"H.264 high 10", H264, au(spsNAL(110, 1, 10), idr), false},
		{"H.264 high 4:4:4 predictive, 14 bits", H264, au(spsNAL(244, 3, 14), idr), false},
		{"H.264 high 4:4:4 predictive, 8-bit 4:2:0 (lossless)", H264, au(spsNAL(244, 1, 8), idr), true},
		{"H.264 high, monochrome", H264, au(spsNAL(100, 0, 8), idr), true},
		// Profiles whose SPS FFmpeg reads otherwise than the standard.
		{"H.264 old high 4:4:4 (144)", H264, au(spsNAL(144, 1, 8), idr), false},
		{"H.264 MFC high (134)", H264, au(spsNAL(134, 1, 8), idr), false},
		{"H.264 MFC depth high (135)", H264, au(spsNAL(135, 1, 8), idr), false},
		{"H.264 enhanced multiview depth high (139)", H264, au(spsNAL(139, 1, 8), idr), false},
		{"H.264 a second SPS beyond", H264, au(spsNAL(66, 1, 8), spsNAL(110, 1, 10), idr), false},
		{"H.264 without an SPS", H264, au(idr), true},
		{"H.264 4K, 5 reference frames (level 5.1)", H264, au(spsNALSized(5, 240, 135, 0, false), idr), true},
		{"H.264 1080p, 16 reference frames", H264, au(spsNALSized(16, 120, 68, 1, false), idr), true},
		{"H.264 4K, 16 reference frames (~210 MB)", H264, au(spsNALSized(16, 240, 135, 0, false), idr), false},
		{"H.264 4K interlaced, 6 reference frames", H264, au(spsNALSized(6, 240, 136, 1, true), idr), false},
		{"H.264 65536x131072 macroblocks (32 bits overflow)", H264, au(spsNALSized(2, 1<<16, 1<<17, 0, true), idr), false},
		{"H.264 17 reference frames of one macroblock", H264, au(spsNALSized(17, 1, 1, 0, false), idr), false},
		{"H.264 16 reference frames of 2^30 x 2^30 macroblocks (64 bits overflow)", H264, au(spsNALSized(16, 1<<30, 1<<30, 0, false), idr), false},
		{"VP9 profile 0", VP9, []byte{0x80, 0x49, 0x83}, true},
		{"VP9 profile 1", VP9, []byte{0xa0, 0x49, 0x83}, false},
		{"VP9 profile 2", VP9, []byte{0x90, 0x49, 0x83}, false},
		{"VP9 superframe of profile 0", VP9, []byte{0x80, 0x49, 0x82, 0x49, 0xc1, 0x02, 0x02, 0xc1}, true},
		{"VP9 superframe, its second frame profile 1", VP9, []byte{0x80, 0x49, 0xa0, 0x49, 0xc1, 0x02, 0x02, 0xc1}, false},
		{"AV1 main", AV1, []byte{0x0a, 0x01, 0x00}, true},
		{"AV1 high", AV1, []byte{0x0a, 0x01, 0x20}, false},
		{"AV1 professional", AV1, []byte{0x0a, 0x01, 0x40}, false},
		{"AV1 without a sequence header", AV1, []byte{0x32, 0x01, 0x00}, true},
		{"AV1 a second sequence header, high", AV1, []byte{0x0a, 0x01, 0x00, 0x0a, 0x01, 0x20}, false},
		{"VP8", VP8, []byte{0x10, 0x02, 0x00}, true},
	} {
		if got := FitsLiveProfile(c.codec, c.frame); got != c.fits {
			t.Errorf("%s: fits %v, want %v", c.name, got, c.fits)
		}
	}
	for _, name := range []string{"p01.h264", "p12.vp9.ivf", "p12.av1.ivf"} {
		in, err := OpenInput(mediatest.TestdataPath(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := in.Read()
			if err != nil {
				break
			}
			if p.Kind == Video && !FitsLiveProfile(in.Video().VideoCodec, p.Data) {
				t.Errorf("%s: a frame at %v does not fit", name, p.PTS)
				break
			}
		}
		in.Close()
	}
}

// TestParseH264SPSFrameSize: the reference frames and the size in
// macroblocks are read past either kind of picture order count, fields
// counting two map units a row; a testdata clip's (640x360 is 40x23).
func TestParseH264SPSFrameSize(t *testing.T) {
	for _, c := range []struct {
		nal       []byte
		refs, mbs int
	}{
		{spsNALSized(3, 80, 45, 0, false), 3, 3600},
		{spsNALSized(16, 120, 68, 1, false), 16, 8160},
		{spsNALSized(4, 120, 68, 2, true), 4, 8160},
		{spsNAL(66, 1, 8), 0, 0}, // cut short after frame_num
	} {
		sps, err := ParseH264SPS(c.nal)
		if err != nil || sps.RefFrames != c.refs || sps.MBs != c.mbs {
			t.Errorf("%x: %+v, %v; want %d reference frames, %d macroblocks", c.nal, sps, err, c.refs, c.mbs)
		}
	}
	var sps []byte
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.h264"))
	if err != nil {
		t.Fatal(err)
	}
	ForEachNAL(data, func(nal []byte) bool {
		if nal[0]&0x1f == 7 {
			sps = nal
		}
		return sps == nil
	})
	got, err := ParseH264SPS(sps)
	if err != nil || got.MBs != 40*23 || got.RefFrames < 1 || got.RefFrames > 16 {
		t.Errorf("p01.h264's SPS: %+v, %v; want 920 macroblocks and 1 to 16 reference frames", got, err)
	}
}

// TestParseH264SPSEmulationAfterLevel: an SPS whose constraint flags and
// level_idc are zeros carries an emulation prevention byte before the rest,
// which the decoder takes out; so does the parser, and reads the same
// chroma format and bit depth as from the SPS without it.
func TestParseH264SPSEmulationAfterLevel(t *testing.T) {
	plain := spsNAL(244, 3, 14) // level_idc 0x1f
	escaped := append([]byte{0x67, 244, 0, 0, 3}, plain[4:]...)
	want, err := ParseH264SPS(plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseH264SPS(escaped)
	if err != nil || got != want {
		t.Errorf("with the emulation byte: %+v, %v; without: %+v", got, err, want)
	}
}

// TestFrames: a VP9 superframe counts its frames (each is decoded), any
// other frame one.
func TestFrames(t *testing.T) {
	for _, c := range []struct {
		codec VideoCodec
		frame []byte
		want  int
	}{
		{VP9, []byte{0x80, 0x49, 0x82, 0x49, 0xc1, 0x02, 0x02, 0xc1}, 2},
		{VP9, []byte{0x80, 0x49, 0x83}, 1},
		{VP9, nil, 1},
		{VP8, []byte{0x80, 0x49, 0x82, 0x49, 0xc1, 0x02, 0x02, 0xc1}, 1},
		{H264, []byte{0, 0, 0, 1, 0x65, 0x88}, 1},
	} {
		if got := Frames(c.codec, c.frame); got != c.want {
			t.Errorf("%v %x: %d frames, want %d", c.codec, c.frame, got, c.want)
		}
	}
}

// TestH264ParamSetsKeepWhatFits: an SPS given only in the SDP is held to
// the same limits as one in a frame: one keeping sixteen 4K reference
// frames is not kept, so it never reaches a decoder with an IDR picture
// that came without it; one of five is.
func TestH264ParamSetsKeepWhatFits(t *testing.T) {
	pps, idr := []byte{0x68, 0xce, 0x38, 0x80}, []byte{0x65, 0x88, 0x84}
	sc := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	for _, c := range []struct {
		refs uint
		kept bool
	}{{16, false}, {5, true}} {
		sps := spsNALSized(c.refs, 240, 135, 0, false)
		var p H264ParamSets
		p.SetFromFmtp("packetization-mode=1;sprop-parameter-sets=" + base64.StdEncoding.EncodeToString(sps) + "," + base64.StdEncoding.EncodeToString(pps))
		want := sc(pps, idr)
		if c.kept {
			want = sc(sps, pps, idr)
		}
		if got := p.Complete(sc(idr)); !bytes.Equal(got, want) {
			t.Errorf("4K SPS with %d reference frames in the SDP: %x, want %x", c.refs, got, want)
		}
	}
}
