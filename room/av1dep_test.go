package room

import (
	"bytes"
	"errors"
	"math/rand/v2"
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
	// A keyframe as pion's payloader (as libwebrtc) packs it: the
	// sequence header and the start of the frame share the first packet.
	frame := make([]byte, 1200*1000)
	for i := range frame {
		frame[i] = byte(i * 13)
	}
	tu := []byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x24, 0x4f, 0x7e, 0x7f, 0x00, 0x68, 0x83, 0x00} // sequence header OBU, its size
	tu = append(tu, 0x32)                                                                      // frame OBU, with its size
	tu = append(tu, obuSize(len(frame))...)
	tu = append(tu, frame...)
	pkts = (&codecs.AV1Payloader{}).Payload(1200, tu)
	if pkts[0][0]&av1WMask == av1WOne {
		t.Fatalf("the payloader's first packet has one element (%x): not the case this checks", pkts[0][:4])
	}
	ours, pions = &av1Depacketizer{}, &codecs.AV1Depacketizer{}
	got, cost = depacketize(ours.Unmarshal)
	want, pionCost = depacketize(pions.Unmarshal)
	if len(want) < len(frame) || !bytes.Equal(got, want) {
		t.Fatalf("keyframe: %d bytes out, pion's %d (of a frame of %d): want the same", len(got), len(want), len(frame))
	}
	if cost > 10*uint64(len(frame)) {
		t.Errorf("keyframe: %d MB allocated for %.1f MB (pion's own: %d MB)", cost>>20, float64(len(frame))/(1<<20), pionCost>>20)
	}

	// Temporal units of a few OBUs of any size, packed at any MTU, come
	// out as pion's.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var tu []byte
		for range 1 + rng.IntN(4) {
			data := make([]byte, rng.IntN(5000))
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			tu = append(append(append(tu, 0x32), obuSize(len(data))...), data...)
		}
		ours, pions := &av1Depacketizer{}, &codecs.AV1Depacketizer{}
		var a, b []byte
		for _, p := range (&codecs.AV1Payloader{}).Payload(uint16(40+rng.IntN(1400)), tu) {
			x, err := ours.Unmarshal(p)
			if err != nil {
				t.Fatal(err)
			}
			y, _ := pions.Unmarshal(p)
			a, b = append(a, x...), append(b, y...)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("a temporal unit of %d bytes: %d bytes out, pion's %d", len(tu), len(a), len(b))
		}
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

// obuSize is n as LEB128.
func obuSize(n int) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		if n >>= 7; n > 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
