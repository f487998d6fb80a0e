package codec

import (
	"bytes"
	"testing"
)

// TestH264ParamSetsCompleteRecoveryPoint: a recovery point (an SEI saying
// so, then a non-IDR slice), where a sender of intra refresh lets a
// decoder start, gets the kept SPS after the SEI and the PPS before its
// slice, as an IDR picture does; a non-IDR slice without that SEI does
// not.
func TestH264ParamSetsCompleteRecoveryPoint(t *testing.T) {
	sps, pps := []byte{0x67, 0x64, 0x00, 0x0b, 0xac, 0xb2, 0x05, 0x1b, 0xf2, 0x60, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x78, 0x1e, 0x28, 0x54, 0x90}, []byte{0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0} // x264, 160x90 4:2:0
	// recovery_frame_cnt 0, exact match
	recovery := []byte{0x06, 0x06, 0x01, 0xc4, 0x80}
	// unregistered user data, no recovery point
	userData := []byte{0x06, 0x05, 0x01, 0x00, 0x80}
	aud, idr, p := []byte{0x09, 0xf0}, []byte{0x65, 0x88, 0x84}, []byte{0x41, 0x9a, 0x02}
	sc := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	var ps H264ParamSets
	ps.Complete(sc(sps, pps, idr))
	for _, c := range []struct {
		name     string
		in, want []byte
	}{
		{"recovery point", sc(recovery, p), sc(recovery, sps, pps, p)},
		{"recovery point after a delimiter", sc(aud, recovery, p), sc(aud, recovery, sps, pps, p)},
		{"recovery point with its own SPS", sc(recovery, sps, p), sc(recovery, sps, pps, p)},
		{"another SEI", sc(userData, p), sc(userData, p)},
		{"a P picture", sc(aud, p), sc(aud, p)},
	} {
		in := bytes.Clone(c.in)
		if got := ps.Complete(in); !bytes.Equal(got, c.want) || !bytes.Equal(in, c.in) {
			t.Errorf("%s: %x, want %x (input left as it was)", c.name, got, c.want)
		}
	}
}
