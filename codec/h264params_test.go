package codec

import (
	"bytes"
	"testing"
)

func TestH264ParamSetsComplete(t *testing.T) {
	sps, pps := []byte{0x67, 0x64, 0x00, 0x0b, 0xac, 0xb2, 0x05, 0x1b, 0xf2, 0x60, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x78, 0x1e, 0x28, 0x54, 0x90}, []byte{0x68, 0xeb, 0xc3, 0xcb, 0x22, 0xc0} // x264, 160x90 4:2:0
	aud, idr, p := []byte{0x09, 0xf0}, []byte{0x65, 0x88, 0x84}, []byte{0x41, 0x9a, 0x02}
	sc := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	var ps H264ParamSets
	// Nothing known yet: an IDR without them stays as it is.
	if got := ps.Complete(sc(idr)); !bytes.Equal(got, sc(idr)) {
		t.Errorf("with nothing known: %x", got)
	}
	// Given in-band (3-byte start codes, trailing zeros) they are kept.
	first := append([]byte{0, 0, 1}, sps...)
	first = append(append(append(first, 0, 0, 0, 1), pps...), 0)
	first = append(append(first, 0, 0, 1), idr...)
	if got := ps.Complete(first); !bytes.Equal(got, first) {
		t.Errorf("a complete keyframe was changed: %x", got)
	}
	for _, c := range []struct {
		name   string
		in     []byte
		want   []byte
		sameIn bool
	}{
		{"IDR alone", sc(idr), sc(sps, pps, idr), false},
		{"after an access unit delimiter", sc(aud, idr), sc(aud, sps, pps, idr), false},
		{"with its own PPS", sc(pps, idr), sc(sps, pps, idr), false},
		// A missing PPS goes after the access unit's own SPS, which it
		// needs.
		{"with its own SPS", sc(aud, sps, idr), sc(aud, sps, pps, idr), false},
		{"a P picture", sc(aud, p), sc(aud, p), true},
	} {
		in := bytes.Clone(c.in)
		if got := ps.Complete(in); !bytes.Equal(got, c.want) || !bytes.Equal(in, c.in) {
			t.Errorf("%s: %x, want %x (input left as it was)", c.name, got, c.want)
		}
	}
	// The SDP's, base64, every PPS by its id (0 and 1 here).
	pps1 := []byte{0x68, 0x5a, 0xf0, 0xf2, 0xc8, 0xb0, 0x00} // pps_id 1
	var fromSDP H264ParamSets
	fromSDP.SetFromFmtp("packetization-mode=1; sprop-parameter-sets=Z2QAC6yyBRvyYCIAAAMAAgAAAwB4HihUkA==,aOvDyyLA,aFrw8siwAA==;profile-level-id=42c00c")
	if got := fromSDP.Complete(sc(idr)); !bytes.Equal(got, sc(sps, pps, pps1, idr)) {
		t.Errorf("from the SDP: %x", got)
	}
	// An IDR with PPS 0 of its own gets PPS 1, which its slices may use.
	if got := fromSDP.Complete(sc(pps, idr)); !bytes.Equal(got, sc(sps, pps, pps1, idr)) {
		t.Errorf("with PPS 0 of its own: %x, want the SPS and PPS 1 added", got)
	}
	// An SPS beyond the live profile (High 4:4:4) is not kept: it must not
	// reach the decoder by this way.
	var beyond H264ParamSets
	beyond.SetFromFmtp("sprop-parameter-sets=Z/QAC5GWQKN+fARAAAADAEAAAA8DxQqS,aOvDyyLA")
	if got := beyond.Complete(sc(idr)); !bytes.Equal(got, sc(pps, idr)) {
		t.Errorf("a 4:4:4 SPS in the SDP: %x, want only the PPS added", got)
	}
}
