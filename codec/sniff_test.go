package codec

import (
	"bytes"
	"testing"
)

var sniffCases = []struct {
	name string
	head []byte
	want Container
}{
	{"ivf", []byte("DKIF\x00\x00\x20\x00VP80"), IVF},
	{"ogg", []byte("OggS\x00\x02"), Ogg},
	{"webm", []byte{0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86}, Matroska},
	{"mp4", []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"), MP4},
	{"annexb sps 4-byte start", []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e}, AnnexB},
	{"annexb aud 3-byte start", []byte{0, 0, 1, 0x09, 0xf0}, AnnexB},
	{"annexb forbidden bit", []byte{0, 0, 0, 1, 0xe7}, UnknownContainer},
	{"annexb picture's first slice first (cut between keyframes)", []byte{0, 0, 0, 1, 0x41, 0x9a}, AnnexB},
	{"annexb slice not a picture's first", []byte{0, 0, 0, 1, 0x41, 0x40}, UnknownContainer},
	{"annexb sei first", []byte{0, 0, 0, 1, 0x06, 0x05}, AnnexB},
	{"hevc aud first", []byte{0, 0, 0, 1, 0x46, 0x01, 0x10}, UnknownContainer},
	{"hevc vps first", []byte{0, 0, 0, 1, 0x40, 0x01, 0x0c}, UnknownContainer},
	{"text", []byte("hello, this is not media\n"), UnknownContainer},
	{"empty", nil, UnknownContainer},
	{"zeros", make([]byte, 100), UnknownContainer},
	{"ftyp too short", []byte("\x00\x00\x00\x20ftyp"), UnknownContainer},
	{"quicktime without ftyp", []byte("\x00\x00\x00\x08wide\x00\x01\x00\x00mdat"), MP4},
	{"quicktime, movie first", []byte("\x00\x00\x04\x00moov\x00\x00\x00\x6cmvhd"), MP4},
	{"a box of no size", []byte("\x00\x00\x00\x00moov\x00\x00\x00\x6c"), UnknownContainer},
	{"quicktime, data over 4 GB first", []byte("\x00\x00\x00\x01mdat\x00\x00\x00\x01\x20\x00\x00\x00"), MP4},
	{"a 64-bit size too small", []byte("\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x08"), UnknownContainer},
}

func TestSniffContainer(t *testing.T) {
	for _, tc := range sniffCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := SniffContainer(tc.head); got != tc.want {
				t.Errorf("SniffContainer = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzSniffContainer(f *testing.F) {
	for _, tc := range sniffCases {
		f.Add(tc.head)
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		c := SniffContainer(head)
		if c < UnknownContainer || c > MP4 {
			t.Fatalf("container %d", c)
		}
		_ = c.String()
	})
}

var keyframeCases = []struct {
	name  string
	codec VideoCodec
	data  []byte
	want  bool
}{
	{"vp8 key", VP8, []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00, 0x00}, true},
	{"vp8 delta", VP8, []byte{0x51, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}, false},
	{"vp8 key without start code", VP8, []byte{0x50, 0x42, 0x00, 0x00, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}, false},
	{"vp8 short", VP8, []byte{0x50}, false},
	{"vp9 key profile 0", VP9, []byte{0x82, 0x49, 0x83, 0x42, 0x00}, true},
	{"vp9 inter", VP9, []byte{0x86, 0x00}, false},
	{"vp9 show existing", VP9, []byte{0x88}, false},
	{"vp9 empty", VP9, nil, false},
	// The byte after an H.264 slice's NAL header starts with
	// first_mb_in_slice as ue(v): a 1 bit is 0 (the picture's first slice),
	// 010 is 1, 00100 is 3.
	{"h264 idr", H264, []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x88}, true},
	{"h264 idr first slice alone", H264, []byte{0, 0, 0, 1, 0x65, 0xb8, 0x04}, true},
	{"h264 idr of two slices", H264, []byte{0, 0, 0, 1, 0x65, 0x88, 0x84, 0, 0, 1, 0x65, 0x40, 0x21}, true},
	{"h264 idr later slice only", H264, []byte{0, 0, 0, 1, 0x65, 0x40, 0x21}, false},
	{"h264 sps pps and later idr slices", H264, []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 1, 0x65, 0x40, 0x21, 0, 0, 1, 0x65, 0x20, 0x10}, false},
	{"h264 idr header only", H264, []byte{0, 0, 0, 1, 0x65}, false},
	{"h264 non-idr", H264, []byte{0, 0, 0, 1, 0x41, 0x9a, 0x00}, false},
	{"h264 sps only", H264, []byte{0, 0, 0, 1, 0x67, 0x42}, false},
	{"h264 garbage", H264, []byte{0xff, 0xfe}, false},
	// AV1 OBU headers: type<<3 | has_size(0x02); 0x12 temporal delimiter,
	// 0x0a sequence header, 0x32 frame.
	{"av1 td + sequence header + frame", AV1, []byte{0x12, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x32, 0x01, 0x10}, true},
	{"av1 td + frame", AV1, []byte{0x12, 0x00, 0x32, 0x03, 0x30, 0x00, 0x00}, false},
	{"av1 extension header", AV1, []byte{0x0e, 0x00, 0x01, 0x00}, true},
	{"av1 size past the end", AV1, []byte{0x32, 0x7f, 0x00, 0x0a, 0x00}, false},
	{"av1 forbidden bit", AV1, []byte{0x8a, 0x00}, false},
	{"av1 unterminated size", AV1, []byte{0x32, 0xff}, false},
	{"av1 empty", AV1, nil, false},
	{"unknown codec", VideoCodec(99), []byte{0x50}, false},
}

func TestIsKeyframe(t *testing.T) {
	for _, tc := range keyframeCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsKeyframe(tc.codec, tc.data); got != tc.want {
				t.Errorf("IsKeyframe = %v, want %v", got, tc.want)
			}
		})
	}
}

func FuzzIsKeyframe(f *testing.F) {
	for _, tc := range keyframeCases {
		f.Add(int(tc.codec), tc.data)
	}
	f.Fuzz(func(t *testing.T, c int, data []byte) {
		IsKeyframe(VideoCodec(c), data)
		FitsLiveProfile(VideoCodec(c), data) // never panics on anything a sender sends
		H264RecoveryPoint(data)
		// Each NAL is a piece of data in order, between start codes (or
		// the end).
		from := 0
		ForEachNAL(data, func(nal []byte) bool {
			if len(nal) == 0 {
				return true
			}
			at := -1
			for i := from; i < len(data); i++ {
				if &data[i] == &nal[0] {
					at = i
					break
				}
			}
			if at < 0 || at+len(nal) > len(data) {
				t.Fatalf("NAL % x is not a piece of the input after byte %d", nal, from)
			}
			if at < 3 || !bytes.Equal(data[at-3:at], []byte{0, 0, 1}) {
				t.Fatalf("NAL at byte %d has no start code before it", at)
			}
			if rest := data[at+len(nal):]; len(rest) > 0 && !bytes.HasPrefix(rest, []byte{0, 0, 1}) && !bytes.HasPrefix(rest, []byte{0, 0, 0, 1}) {
				t.Fatalf("NAL at byte %d ends before % x, not a start code", at, rest[:min(4, len(rest))])
			}
			from = at + len(nal)
			return true
		})
	})
}

func TestH264StartsAccessUnit(t *testing.T) {
	for _, tc := range []struct {
		name string
		nal  []byte
		want bool
	}{
		{"sps", []byte{0x67, 0x42, 0xc0, 0x1e}, true},
		{"pps", []byte{0x68, 0xce}, true},
		{"sei", []byte{0x06, 0x05}, true},
		{"access unit delimiter", []byte{0x09, 0xf0}, true},
		{"idr first slice", []byte{0x65, 0x88}, true},
		{"idr later slice", []byte{0x65, 0x40}, false},
		{"non-idr first slice", []byte{0x41, 0x9a}, true},
		{"non-idr later slice", []byte{0x41, 0x20}, false},
		{"slice header missing", []byte{0x65}, false},
		{"end of sequence", []byte{0x0a}, false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := H264StartsAccessUnit(tc.nal); got != tc.want {
				t.Errorf("H264StartsAccessUnit(% x) = %v, want %v", tc.nal, got, tc.want)
			}
		})
	}
}

func TestForEachNAL(t *testing.T) {
	var got [][]byte
	ForEachNAL([]byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5}, func(n []byte) bool {
		got = append(got, n)
		return true
	})
	want := [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 4, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d NALs: % x", len(got), got)
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Errorf("NAL %d: % x, want % x", i, got[i], want[i])
		}
	}
}

func TestParseVideoCodec(t *testing.T) {
	for in, want := range map[string]VideoCodec{"vp8": VP8, "video/VP8": VP8, "VP9": VP9, "H.264": H264, "h264": H264, "video/H264": H264, "video/AV1": AV1, "av1": AV1} {
		if got, err := ParseVideoCodec(in); err != nil || got != want {
			t.Errorf("ParseVideoCodec(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseVideoCodec("av2"); err == nil {
		t.Error("accepted av2")
	}
}

// TestH264RecoveryPoint: an access unit whose SEI holds a recovery point
// (of several messages, after others) and that begins a picture is one;
// one without it, a later slice after it, an SEI cut short or of other
// messages only, is not.
func TestH264RecoveryPoint(t *testing.T) {
	au := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	first, later := []byte{0x41, 0x9a, 0x02}, []byte{0x41, 0x42, 0x02}
	recovery := []byte{0x06, 0x06, 0x01, 0xc4, 0x80}                         // recovery point, 1 byte
	userData := []byte{0x06, 0x05, 0x02, 0xaa, 0xbb, 0x80}                   // user data unregistered, 2 bytes
	both := []byte{0x06, 0x05, 0x02, 0xaa, 0xbb, 0x06, 0x01, 0xc4, 0x80}     // user data, then a recovery point
	longType := []byte{0x06, 0xff, 0x07, 0x01, 0x00, 0x06, 0x01, 0xc4, 0x80} // type 262, then a recovery point
	for _, c := range []struct {
		name string
		au   []byte
		want bool
	}{
		{"recovery point, first slice", au(recovery, first), true},
		{"recovery point after another message", au(both, first), true},
		{"recovery point after a long type", au(longType, first), true},
		{"other messages only", au(userData, first), false},
		{"no SEI", au(first), false},
		{"a later slice", au(recovery, later), false},
		{"cut short", au([]byte{0x06, 0x05, 0x09, 0xaa}, first), false},
		{"no picture", au(recovery), false},
		{"cut short recovery point", au([]byte{0x06, 0x06, 0x05, 0xc4, 0x80}, first), false},
	} {
		if _, got := H264RecoveryPoint(c.au); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// recovery_frame_cnt, read past an emulation prevention byte in the
	// message before (user data 00 00 01 aa, sent as 00 00 03 01 aa).
	escaped := []byte{0x06, 0x05, 0x04, 0x00, 0x00, 0x03, 0x01, 0xaa, 0x06, 0x01, 0x48, 0x80}
	if frames, ok := H264RecoveryPoint(au(escaped, first)); !ok || frames != 1 {
		t.Errorf("after an escaped message: recovery point %v, %d frames; want one of 1 frame", ok, frames)
	}
	if frames, ok := H264RecoveryPoint(au(recovery, first)); !ok || frames != 0 {
		t.Errorf("recovery_frame_cnt 0: %v, %d", ok, frames)
	}
}
