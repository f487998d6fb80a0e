package client

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestWholePicturesAfterTheRingWraps: past the first 2048 packets, a
// picture whose first packet is lost is not whole, though the slot its
// sequence number takes holds a packet received 2048 earlier.
func TestWholePicturesAfterTheRingWraps(t *testing.T) {
	var w wholePictures
	seq := uint16(100)
	picture := func(lose bool) {
		if !lose {
			w.add(seq, false)
		}
		w.add(seq+1, true)
		seq += 2
	}
	for range 1500 { // 3000 packets, none lost
		picture(false)
	}
	before := w.whole
	if before != 1499 {
		t.Fatalf("%d whole pictures of 1500 (the first one's marker starts the count), want 1499", before)
	}
	picture(true)
	if w.whole != before {
		t.Errorf("a picture missing its first packet counted whole (%d, want %d)", w.whole, before)
	}
	picture(false)
	if w.whole != before+1 {
		t.Errorf("%d whole pictures after the next one, want %d", w.whole, before+1)
	}
}

// TestReceiverWholeOnlyFromTheKeyframe: pictures that came before the
// first keyframe are neither counted nor counted whole, and one that lost
// a packet is counted, not whole.
func TestReceiverWholeOnlyFromTheKeyframe(t *testing.T) {
	c := &Client{}
	r := &c.recv
	at := time.Unix(1000, 0)
	seq := uint16(7)
	for pic := range 6 {
		for k := range 2 {
			r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(pic) * 3000, Marker: k == 1}, Payload: []byte{1}}, at, pic == 3 && k == 0)
			seq++
		}
		at = at.Add(time.Second / 30)
	}
	// Then one whose first packet is lost.
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq + 1, Timestamp: 6 * 3000, Marker: true}, Payload: []byte{1}}, at, false)
	if st := c.Stats(); st.Frames != 4 || st.WholeFrames != 3 {
		t.Errorf("3 pictures before the keyframe, 3 whole from it, one not: %d pictures, %d whole; want 4, 3", st.Frames, st.WholeFrames)
	}
}

// TestFreezeGapAsGiven: a FreezeGap given in the options is the freeze,
// longer or shorter than the mix's own: at 30 fps with 500 ms given (mcu
// load run with -fps 6), a 300 ms pause is none, a 600 ms one is one.
func TestFreezeGapAsGiven(t *testing.T) {
	c := &Client{}
	r := &c.recv
	r.init(Options{FreezeGap: 500 * time.Millisecond})
	at := time.Unix(1000, 0)
	for pic := range 60 {
		switch pic {
		case 20:
			at = at.Add(300 * time.Millisecond)
		case 40:
			at = at.Add(600 * time.Millisecond)
		default:
			at = at.Add(time.Second / 30)
		}
		r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(pic), Timestamp: uint32(pic) * 3000, Marker: true}, Payload: []byte{1}}, at, pic == 0)
	}
	if st := c.Stats(); st.Freezes != 1 || st.FreezeGap != 500*time.Millisecond {
		t.Errorf("pauses of 300 and 600 ms with a freeze of 500 ms given: %d freezes, freeze gap %v; want 1, 500ms", st.Freezes, st.FreezeGap)
	}
}
