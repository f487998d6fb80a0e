package room

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/pion/rtp/codecs"
)

// av1Fragments splits one OBU (header byte first, no size field) over
// packets of at most size bytes of it, as a sender does: each packet one
// element (W = 1), Y on all but the last, Z on all but the first.
func av1Fragments(obu []byte, size int) [][]byte {
	var pkts [][]byte
	for i := 0; i < len(obu); i += size {
		h := byte(av1WOne)
		if i > 0 {
			h |= av1Z
		}
		if i+size < len(obu) {
			h |= av1Y
		}
		pkts = append(pkts, append([]byte{h}, obu[i:min(i+size, len(obu))]...))
	}
	return pkts
}

// TestAV1DepacketizerPutsFragmentsTogether: an OBU over many packets comes
// out as pion's depacketizer makes it, with the copies of one frame's
// size rather than of pion's, which copies the OBU so far at every
// fragment (quadratic: a 1.2 MB OBU in 1000 packets took ~600 MB).
func TestAV1DepacketizerPutsFragmentsTogether(t *testing.T) {
	obu := make([]byte, 1200*1000)
	obu[0] = 0x30 // OBU_FRAME, no size field
	for i := 1; i < len(obu); i++ {
		obu[i] = byte(i * 7)
	}
	pkts := av1Fragments(obu, 1200)
	depacketize := func(unmarshal func([]byte) ([]byte, error)) (out []byte, allocated uint64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, p := range pkts {
			b, err := unmarshal(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		runtime.ReadMemStats(&after)
		return out, after.TotalAlloc - before.TotalAlloc
	}
	ours, pions := &av1Depacketizer{}, &codecs.AV1Depacketizer{}
	got, cost := depacketize(ours.Unmarshal)
	want, pionCost := depacketize(pions.Unmarshal)
	if len(want) < len(obu) || !bytes.Equal(got, want) {
		t.Fatalf("%d bytes out, pion's %d (of an OBU of %d): want the same", len(got), len(want), len(obu))
	}
	if cost > 10*uint64(len(obu)) {
		t.Errorf("%d MB allocated for an OBU of %.1f MB (pion's own: %d MB)", cost>>20, float64(len(obu))/(1<<20), pionCost>>20)
	}
	// Packets of several elements, and a run broken off, go to pion.
	for _, p := range [][]byte{{0x20, 0x02, 0x30, 0x00, 0x30, 0x01}, {0x50, 0x30, 0x01}} {
		ours, pions := &av1Depacketizer{}, &codecs.AV1Depacketizer{}
		a, errA := ours.Unmarshal(p)
		b, errB := pions.Unmarshal(p)
		if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
			t.Errorf("%x: %x %v, pion's %x %v", p, a, errA, b, errB)
		}
	}
}
