package codec

import (
	"bytes"
	"testing"
)

func TestH264ParamSetsComplete(t *testing.T) {
	sps, pps := []byte{0x67, 0x42, 0xc0, 0x0c}, []byte{0x68, 0xce, 0x3c, 0x80}
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
		{"a P picture", sc(aud, p), sc(aud, p), true},
	} {
		in := bytes.Clone(c.in)
		if got := ps.Complete(in); !bytes.Equal(got, c.want) || !bytes.Equal(in, c.in) {
			t.Errorf("%s: %x, want %x (input left as it was)", c.name, got, c.want)
		}
	}
	// The SDP's, base64: they replace what was known.
	var fromSDP H264ParamSets
	fromSDP.SetFromFmtp("packetization-mode=1; sprop-parameter-sets=Z0LADA==,aM48gA==;profile-level-id=42c00c")
	if got := fromSDP.Complete(sc(idr)); !bytes.Equal(got, sc(sps, pps, idr)) {
		t.Errorf("from the SDP: %x", got)
	}
}
