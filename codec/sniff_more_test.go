package codec

import "testing"

// TestSniffContainerMore: the starts of files that SniffContainer's
// comments promise to take, or to refuse, beyond sniffCases: an H.264
// stream after a run of zero bytes (leading_zero_8bits, B.1.1, or a
// capture padded with zeros), a QuickTime file whose first box is skip,
// and a slice whose slice_type is none of the ten (an H.265 or other
// stream's bytes).
func TestSniffContainerMore(t *testing.T) {
	sps := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e}
	for _, c := range []struct {
		name string
		head []byte
		want Container
	}{
		{"annexb after 20 zero bytes", append(make([]byte, 20), sps...), AnnexB},
		{"annexb after 60 zero bytes", append(make([]byte, 60), sps...), AnnexB},
		{"zeros past 64, then a start code", append(make([]byte, 70), sps...), UnknownContainer},
		{"quicktime, skip first", []byte("\x00\x00\x00\x10skip\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08moov"), MP4},
		{"quicktime, free first", []byte("\x00\x00\x00\x08free\x00\x00\x04\x00moov"), MP4},
		{"quicktime, pnot first", []byte("\x00\x00\x00\x14pnot\x00\x00\x00\x00\x00\x00\x00\x00"), MP4},
		// first_mb_in_slice 0 (1), slice_type 10 (0001011): out of range.
		{"a slice of slice_type 10", []byte{0, 0, 0, 1, 0x01, 0x8b, 0x80}, UnknownContainer},
		// slice_type 9 (0001010): an I picture's, in range.
		{"a slice of slice_type 9", []byte{0, 0, 0, 1, 0x01, 0x8a, 0x80}, AnnexB},
	} {
		if got := SniffContainer(c.head); got != c.want {
			t.Errorf("%s: SniffContainer = %v, want %v", c.name, got, c.want)
		}
	}
}
