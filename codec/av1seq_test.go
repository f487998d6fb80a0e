package codec

import (
	"testing"

	"mcu/internal/mediatest"
)

// sequenceOBU makes a sequence header OBU with a size field from its payload.
func sequenceOBU(payload []byte) []byte {
	return append([]byte{1<<3 | 0x02, byte(len(payload))}, payload...)
}

// TestAV1SequenceSize: the largest picture size of a coded video sequence
// is read past each optional part of its sequence header (timing,
// decoder model, operating points with their tiers, delays), in the
// reduced form, and from an encoder's stream; a header cut short, or none,
// says none.
func TestAV1SequenceSize(t *testing.T) {
	full := (&bitWriter{}).
		put(0, 3).put(0, 1).put(0, 1).                                                                         // profile, still, not reduced
		put(1, 1).put(1, 32).put(30, 32).put(1, 1).put(0b00101, 5).                                            // timing: equal interval, uvlc 3
		put(1, 1).put(9, 5).put(1, 32).put(4, 5).put(4, 5).                                                    // decoder model: buffer delays of 10 bits
		put(1, 1).put(1, 5).                                                                                   // initial display delay; 2 operating points
		put(0x103, 12).put(9, 5).put(1, 1).put(1, 1).put(500, 10).put(600, 10).put(1, 1).put(1, 1).put(10, 4). // tier; decoder model; delay
		put(0x0f0, 12).put(1, 5).put(0, 1).put(0, 1).                                                          // no tier, no decoder model, no delay
		put(10, 4).put(9, 4).put(1279, 11).put(719, 10).                                                       // 1280x720
		put(0, 3)
	reduced := (&bitWriter{}).put(0, 3).put(1, 1).put(1, 1).put(5, 5).put(8, 4).put(8, 4).put(319, 9).put(179, 9).put(0, 5)
	for _, c := range []struct {
		name string
		obus []byte
		w, h int
		ok   bool
	}{
		{"every part", sequenceOBU(full.bytes()), 1280, 720, true},
		{"reduced", sequenceOBU(reduced.bytes()), 320, 180, true},
		{"after another OBU, without a size field", append([]byte{2<<3 | 0x02, 0}, append([]byte{1 << 3}, full.bytes()...)...), 1280, 720, true},
		{"cut short", sequenceOBU(full.bytes()[:len(full.bytes())-4]), 0, 0, false},
		{"no sequence header", []byte{6<<3 | 0x02, 2, 0x10, 0x00}, 0, 0, false},
		{"nothing", nil, 0, 0, false},
	} {
		if w, h, ok := AV1SequenceSize(c.obus); w != c.w || h != c.h || ok != c.ok {
			t.Errorf("%s: %dx%d %v, want %dx%d %v", c.name, w, h, ok, c.w, c.h, c.ok)
		}
	}
	if w, h, ok := AV1SequenceSize(firstPacket(t, mediatest.TestdataPath(t, "p12.av1.ivf")).Data); w != 640 || h != 360 || !ok {
		t.Errorf("the clip's first temporal unit: %dx%d %v, want 640x360", w, h, ok)
	}
}
