package room

import (
	"testing"
	"time"

	"mcu/codec"
)

// TestHalfRateRenumberingLeavesOthersAlone: the RTP track hands every
// receiver the same payload bytes in turn, so a receiver on half rate,
// bound before one on every frame, must renumber a copy: renumbered in
// place, the picture IDs the later receiver gets would go back by one at
// each frame left out, and it would take its frames for repeats.
func TestHalfRateRenumberingLeavesOthersAlone(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	halved := &payloadBinding{fakeBinding: fakeBinding{id: "half", ssrc: 2}}
	full := &payloadBinding{fakeBinding: fakeBinding{id: "full", ssrc: 1}}
	video.halfRate(2).Store(true)
	for _, b := range []*payloadBinding{halved, full} { // the halved one first
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 8 {
		f := codec.EncodedFrame{Data: make([]byte, 100), PTS: time.Duration(k) * time.Second / 30, Key: k == 0, Droppable: k%2 == 1}
		if err := video.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, b *payloadBinding, n int) {
		t.Helper()
		if len(b.payloads) != n {
			t.Fatalf("%s: %d packets, want %d", name, len(b.payloads), n)
		}
		pid0 := sentPictureID(t, b.payloads[0])
		for i, pl := range b.payloads {
			if got := (sentPictureID(t, pl) - pid0) & 0x7fff; got != uint16(i) {
				t.Errorf("%s: frame %d has picture ID first+%d, want first+%d", name, i, got, i)
			}
		}
	}
	check("full", full, 8)
	check("halved", halved, 4)
}
