package codec

import (
	"bytes"
	"testing"
)

// FuzzParamSets: Complete never panics, keeps the access unit's
// slices as its tail, and is idempotent; the other header readers never
// panic.
func FuzzParamSets(f *testing.F) {
	sps := []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8}
	pps := []byte{0x68, 0xce, 0x38, 0x80}
	sc := func(nals ...[]byte) []byte {
		var b []byte
		for _, n := range nals {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	f.Add(sc(sps, pps), sc([]byte{0x65, 0x88, 0x84}))
	f.Add(sc(sps, pps), sc([]byte{0x09, 0xf0}, []byte{0x06, 0x06, 0x01, 0xc4, 0x80}, []byte{0x41, 0x9a}))
	f.Add([]byte{0x0a, 0x0b, 0, 0, 0, 0x02, 0xaf, 0xff, 0xff}, []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0xc1, 0x01, 0x05, 0xc1})
	f.Fuzz(func(t *testing.T, first, au []byte) {
		var p H264ParamSets
		p.Complete(first)
		out := p.Complete(au)
		if !bytes.HasSuffix(out, au[len(au)-min(len(au), 0):]) || len(out) < len(au) {
			t.Fatalf("Complete lost data")
		}
		var q H264ParamSets
		q.Complete(first)
		q.Complete(au)
		if again := q.Complete(out); !bytes.Equal(again, out) {
			t.Fatalf("Complete not idempotent:\n% x\n% x", out, again)
		}
		AV1SequenceSize(au)
		Frames(VP9, au)
		H264HasSPS(au)
		H264HasSlice(au)
		StartsDecoding(H264, au)
		ParseH264SPS(au)
		OpusPacketDuration(au)
	})
}
