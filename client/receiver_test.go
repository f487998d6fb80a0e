package client

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestReceiverCountsPictures: pictures of three packets each, 33 ms
// apart, the first a keyframe; every other picture loses its last packet
// (the marker), one its first, and a resent packet of an old picture comes
// late. Every picture counts, once, from the keyframe on; the keyframe's
// end is when its marker came.
func TestReceiverCountsPictures(t *testing.T) {
	var r receiver
	start := time.Unix(1000, 0)
	seq := uint16(65530) // the numbers and times wrap on the way
	ts := uint32(0xffff_f000)
	for pic := range 10 {
		at := start.Add(time.Duration(pic) * time.Second / 30)
		for i := range 3 {
			seq++
			lost := pic%2 == 1 && i == 2 || pic == 4 && i == 0
			if lost {
				continue
			}
			pkt := &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: i == 2}, Payload: []byte{1}}
			r.count(pkt, at.Add(time.Duration(i)*time.Millisecond), pic == 0 && i == 0)
		}
		if pic == 6 { // a resend of picture 5's first packet
			r.count(&rtp.Packet{Header: rtp.Header{Timestamp: ts - 3000}, Payload: []byte{1}}, at, false)
		}
		ts += 3000
	}
	if r.frames != 10 || r.keyframes != 1 || r.freezes != 0 {
		t.Errorf("%d pictures, %d keyframes, %d freezes; want 10, 1, 0", r.frames, r.keyframes, r.freezes)
	}
	if want := start.Add(2 * time.Millisecond); !r.first.Equal(want) {
		t.Errorf("the keyframe ended at %v, want %v (its marker)", r.first.Sub(start), want.Sub(start))
	}
	// Nothing before a keyframe counts.
	var late receiver
	late.count(&rtp.Packet{Header: rtp.Header{Timestamp: 1, Marker: true}}, start, false)
	late.count(&rtp.Packet{Header: rtp.Header{Timestamp: 2}}, start, true)
	if late.frames != 1 {
		t.Errorf("%d pictures counted, want the keyframe only", late.frames)
	}
	// The first keyframe's first packet comes after another of its own.
	var swapped receiver
	swapped.count(&rtp.Packet{Header: rtp.Header{Timestamp: 5}}, start, false)
	swapped.count(&rtp.Packet{Header: rtp.Header{Timestamp: 5}}, start, true)
	swapped.count(&rtp.Packet{Header: rtp.Header{Timestamp: 5, Marker: true}}, start, false)
	swapped.count(&rtp.Packet{Header: rtp.Header{Timestamp: 3005}}, start.Add(time.Second/30), false)
	if swapped.frames != 2 {
		t.Errorf("%d pictures counted, want the keyframe and the one after it", swapped.frames)
	}
}

// TestReceiverCountsFreezes: a pause of 300 ms between two pictures of a
// 30 fps stream counts as one freeze, one of 150 ms as none.
func TestReceiverCountsFreezes(t *testing.T) {
	for _, c := range []struct {
		gap  time.Duration
		want int
	}{{300 * time.Millisecond, 1}, {150 * time.Millisecond, 0}} {
		var r receiver
		at := time.Unix(1000, 0)
		ts := uint32(0)
		for pic := range 20 {
			if pic == 10 {
				at = at.Add(c.gap)
			} else if pic > 0 {
				at = at.Add(33 * time.Millisecond)
			}
			r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(pic), Timestamp: ts, Marker: true}, Payload: []byte{1}}, at, pic == 0)
			ts += 3000
		}
		if r.frames != 20 || r.freezes != c.want {
			t.Errorf("a %v gap among pictures 33 ms apart: %d pictures, %d freezes; want 20, %d", c.gap, r.frames, r.freezes, c.want)
		}
	}
}

// TestReceiverFirstPictureWithoutMarker: when the first keyframe's last
// packet (its marker) is lost, the first picture one can show is taken to
// end when the next picture's first packet comes.
func TestReceiverFirstPictureWithoutMarker(t *testing.T) {
	var r receiver
	t0 := time.Unix(1000, 0)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 0}, Payload: []byte{1}}, t0, true)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 2, Timestamp: 0}, Payload: []byte{1}}, t0.Add(time.Millisecond), false)
	// Packet 3, the keyframe's marker, is lost.
	t1 := t0.Add(time.Second / 30)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 4, Timestamp: 3000}, Payload: []byte{1}}, t1, false)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 5, Timestamp: 3000, Marker: true}, Payload: []byte{1}}, t1.Add(time.Millisecond), false)
	if !r.first.Equal(t1) {
		t.Errorf("first picture at %v, want %v: when the next picture's first packet came", r.first, t1)
	}
}

// TestReceiverFirstPictureIsAKeyframe: a whole picture before any
// keyframe (one that cannot be shown) sets no first picture; the first
// keyframe's end does.
func TestReceiverFirstPictureIsAKeyframe(t *testing.T) {
	var r receiver
	t0 := time.Unix(1000, 0)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 0, Marker: true}, Payload: []byte{1}}, t0, false)
	if !r.first.IsZero() {
		t.Fatalf("first picture at %v after a picture that is no keyframe, want none", r.first.Sub(t0))
	}
	t1 := t0.Add(time.Second / 30)
	r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: 2, Timestamp: 3000, Marker: true}, Payload: []byte{1}}, t1, true)
	if !r.first.Equal(t1) {
		t.Errorf("first picture at %v, want %v: the keyframe's end", r.first.Sub(t0), t1.Sub(t0))
	}
}

// TestFreezeGapAt: a freeze is a pause of 200 ms at 15 fps and above, of
// three pictures' time below.
func TestFreezeGapAt(t *testing.T) {
	for fps, want := range map[int]time.Duration{0: FreezeGap, 30: FreezeGap, 15: FreezeGap, 10: 300 * time.Millisecond, 5: 600 * time.Millisecond, 1: 3 * time.Second} {
		if got := FreezeGapAt(fps); got != want {
			t.Errorf("FreezeGapAt(%d) = %v, want %v", fps, got, want)
		}
	}
}

// TestFreezesAtFiveFPS: a 5 fps mix whose pictures come 200 ms apart
// with a few milliseconds of jitter has no freeze at its own gap, and
// one for a pause of four pictures.
func TestFreezesAtFiveFPS(t *testing.T) {
	var r receiver
	r.init(Options{FreezeGap: FreezeGapAt(5)})
	at := time.Unix(1000, 0)
	for pic := range 50 {
		step := 200*time.Millisecond + time.Duration(pic%3-1)*time.Millisecond
		if pic == 40 {
			step = 800 * time.Millisecond
		}
		at = at.Add(step)
		r.count(&rtp.Packet{Header: rtp.Header{Timestamp: uint32(pic) * 18000, Marker: true}, Payload: []byte{1}}, at, pic == 0)
	}
	if r.freezes != 1 {
		t.Errorf("a 5 fps mix with 1 ms of jitter and one 800 ms pause: %d freezes, want 1", r.freezes)
	}
}

// TestFreezeBoundary: a freeze is a pause of more than 200 ms; one
// of exactly 200 ms is none (README: "> 200 ms without a picture").
func TestFreezeBoundary(t *testing.T) {
	for _, c := range []struct {
		gap  time.Duration
		want int
	}{{FreezeGap, 0}, {FreezeGap + time.Millisecond, 1}} {
		var r receiver
		at := time.Unix(1000, 0)
		for pic := range 3 {
			if pic == 2 {
				at = at.Add(c.gap)
			} else if pic > 0 {
				at = at.Add(33 * time.Millisecond)
			}
			r.count(&rtp.Packet{Header: rtp.Header{Timestamp: uint32(pic) * 3000, Marker: true}, Payload: []byte{1}}, at, pic == 0)
		}
		if r.freezes != c.want || r.gap != c.gap {
			t.Errorf("a gap of %v: %d freezes, longest gap %v; want %d, %v", c.gap, r.freezes, r.gap, c.want, c.gap)
		}
	}
}

// TestLateJoinNoFreeze: a receiver whose first keyframe comes long
// after its first packets (it joined between keyframes) counts no freeze
// for the wait: the wait is its join-to-first-frame, and its pictures and
// gaps count from the keyframe.
func TestLateJoinNoFreeze(t *testing.T) {
	c := &Client{}
	r := &c.recv
	t0 := time.Unix(1000, 0)
	r.setJoined(t0)
	ts := uint32(0)
	at := t0.Add(50 * time.Millisecond)
	for pic := range 60 { // 2 s of pictures, the keyframe at 1.5 s
		r.count(&rtp.Packet{Header: rtp.Header{Timestamp: ts, Marker: true}, Payload: []byte{1}}, at, pic == 45)
		ts += 3000
		at = at.Add(time.Second / 30)
	}
	if r.frames != 15 || r.freezes != 0 {
		t.Errorf("%d pictures, %d freezes; want the 15 from the keyframe on and none", r.frames, r.freezes)
	}
	if st := c.Stats(); st.FirstFrame != 50*time.Millisecond+45*(time.Second/30) {
		t.Errorf("join to first frame %v, want %v", st.FirstFrame, 50*time.Millisecond+45*(time.Second/30))
	}
}

// TestFreezesAtTheMixRate: without a FreezeGap given (mcu view, which
// does not know the server's -fps), a 4 fps mix, a picture every 250 ms
// with a little jitter, has no freeze; a pause of four pictures is one.
func TestFreezesAtTheMixRate(t *testing.T) {
	var r receiver
	r.init(Options{})
	at := time.Unix(1000, 0)
	for pic := range 40 {
		step := 250*time.Millisecond + time.Duration(pic%3-1)*time.Millisecond
		if pic == 30 {
			step = time.Second
		}
		at = at.Add(step)
		r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(pic), Timestamp: uint32(pic) * 22500, Marker: true}, Payload: []byte{1}}, at, pic == 0)
	}
	if r.frames != 40 || r.freezes != 1 {
		t.Errorf("a 4 fps mix with 1 ms of jitter and one 1 s pause: %d pictures, %d freezes; want 40, 1", r.frames, r.freezes)
	}
}

// TestReceiverWholeFromTheFirstPicture: a mix received without a loss
// has every picture it counts whole, the first keyframe's too (at 1 fps,
// 9 pictures in a 10 s load run: one left out read as 88.9 % whole).
func TestReceiverWholeFromTheFirstPicture(t *testing.T) {
	var r receiver
	at := time.Unix(1000, 0)
	seq := uint16(500)
	for pic := range 9 {
		for k := range 3 {
			r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: uint32(pic) * 90000, Marker: k == 2}, Payload: []byte{1}}, at, pic == 0 && k == 0)
			seq++
		}
		at = at.Add(time.Second)
	}
	if r.frames != 9 || r.whole.whole != 9 {
		t.Errorf("9 pictures of 3 packets each, none lost: %d pictures, %d whole; want 9, 9", r.frames, r.whole.whole)
	}
}

// TestFreezeGapFromTheLeastStep: the mix's frame interval is its least
// RTP step, not one made longer by ticks the server skipped: a 30 fps mix
// that once skipped ten ticks (a 333 ms step) still counts a later 500 ms
// pause as a freeze.
func TestFreezeGapFromTheLeastStep(t *testing.T) {
	var r receiver
	r.init(Options{})
	at := time.Unix(1000, 0)
	ts := uint32(0)
	for pic := range 60 {
		step, tsStep := time.Second/30, uint32(3000)
		switch pic {
		case 20:
			step, tsStep = time.Second/3, 30000
		case 40:
			step, tsStep = 500*time.Millisecond, 3000
		}
		at, ts = at.Add(step), ts+tsStep
		r.count(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(pic), Timestamp: ts, Marker: true}, Payload: []byte{1}}, at, pic == 0)
	}
	if r.freezes != 2 {
		t.Errorf("a 30 fps mix with a 333 ms skip and a 500 ms pause: %d freezes, want 2", r.freezes)
	}
}
