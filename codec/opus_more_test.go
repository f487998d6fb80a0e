//go:build cgo

package codec

import (
	"testing"
)

// code3 builds a CBR code 3 packet of n copies of frame (a code 0
// packet's frame, TOC toc).
func code3(toc byte, frame []byte, n int) []byte {
	p := []byte{toc&^3 | 3, byte(n)}
	for range n {
		p = append(p, frame...)
	}
	return p
}

func TestOpusOddPackets(t *testing.T) {
	enc, err := NewOpusEncoder(DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	short, err := enc.Encode(sine(440, 0.3, 0, 120)) // 2.5 ms
	if err != nil {
		t.Fatal(err)
	}
	twenty, err := enc.Encode(sine(440, 0.3, 120, 960))
	if err != nil {
		t.Fatal(err)
	}
	if short[0]&3 != 0 || twenty[0]&3 != 0 {
		t.Fatalf("encoder gave code %d / %d packets", short[0]&3, twenty[0]&3)
	}
	dec, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, MaxOpusSamples*OpusChannels)
	for _, c := range []struct {
		name    string
		p       []byte
		samples int // 0: an error
	}{
		{"48 frames of 2.5 ms", code3(short[0], short[1:], 48), 5760},
		{"49 frames of 2.5 ms", code3(short[0], short[1:], 49), 0},
		{"6 frames of 20 ms", code3(twenty[0], twenty[1:], 6), 5760},
		{"7 frames of 20 ms", code3(twenty[0], twenty[1:], 7), 0},
		{"code 3, 0 frames", []byte{twenty[0] | 3, 0}, 0},
		{"code 3, no count", []byte{twenty[0] | 3}, 0},
		{"DTX, TOC alone (SILK 20 ms)", []byte{1 << 3}, 960},
		{"DTX, CELT TOC alone", []byte{31 << 3}, 960},
		{"code 1, odd length", []byte{twenty[0] | 1, 1, 2, 3}, 0},
		{"code 2, size past the end", []byte{twenty[0] | 2, 250, 1, 2}, 0},
	} {
		n, err := dec.Decode(c.p, pcm)
		if c.samples == 0 && err == nil {
			t.Errorf("%s: %d samples, no error", c.name, n)
		}
		if c.samples > 0 && (err != nil || n != c.samples) {
			t.Errorf("%s: %d samples, %v; want %d", c.name, n, err, c.samples)
		}
		if d, ok := OpusPacketDuration(c.p); c.samples > 0 && c.name[:3] != "DTX" && (!ok || int(d.Microseconds())*48/1000 != c.samples) {
			t.Errorf("%s: OpusPacketDuration %v %v", c.name, d, ok)
		}
	}
	// FEC for 120 ms before a 20 ms CELT packet, and with the next packet
	// missing; concealment of odd lengths.
	if err := dec.DecodeFEC(twenty, pcm); err != nil {
		t.Errorf("FEC for 120 ms: %v", err)
	}
	if err := dec.DecodeFEC(nil, pcm); err == nil {
		t.Errorf("FEC with no packet: no error")
	}
	if err := dec.DecodeFEC(twenty, pcm[:2*100]); err == nil {
		t.Errorf("FEC for 100 samples (not 2.5 ms): no error")
	}
	if err := dec.Conceal(pcm[:2*100]); err == nil {
		t.Errorf("concealing 100 samples (not 2.5 ms): no error")
	}
	if err := dec.Conceal(pcm[:0]); err == nil {
		t.Errorf("concealing nothing: no error")
	}
	if err := dec.Conceal(pcm[:3]); err == nil {
		t.Errorf("concealing 1.5 stereo samples: no error")
	}
	if n, err := dec.Decode(twenty, pcm[:2*480]); err == nil {
		t.Errorf("20 ms into 10 ms of room: %d, no error", n)
	}
}
