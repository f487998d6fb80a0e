package room

import (
	"bytes"
	"errors"
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
	// Runs of packets as senders pack them come out as pion's: several
	// elements in a packet; a held run ending in a packet of several
	// elements (the rest of one OBU, then another); a keyframe's first
	// packet (N, a sequence header, then the start of a frame) followed by
	// single fragments; a run broken off.
	for _, run := range [][][]byte{
		{{0x20, 0x02, 0x30, 0x00, 0x30, 0x01}},
		{{0x50, 0x30, 0xaa, 0xbb}, {0xa0, 0x02, 0xcc, 0xdd, 0x30, 0xee}},
		{{0x68, 0x02, 0x08, 0x00, 0x30, 0xaa}, {0xd0, 0xbb, 0xcc}, {0x90, 0xdd}},
		{{0x50, 0x30, 0x01}, {0x10, 0x30, 0x02}},
	} {
		ours, pions := &av1Depacketizer{}, &codecs.AV1Depacketizer{}
		var a, b []byte
		var errA, errB error
		for _, p := range run {
			x, err := ours.Unmarshal(p)
			a, errA = append(a, x...), errors.Join(errA, err)
			y, err := pions.Unmarshal(p)
			b, errB = append(b, y...), errors.Join(errB, err)
		}
		if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
			t.Errorf("%x: %x %v, pion's %x %v", run, a, errA, b, errB)
		}
	}
}
