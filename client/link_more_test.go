package client

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestCapVideoQueueDepth: a link's queue holds 150 ms of its rate, no
// more: a burst of 1000-byte packets into an idle 1 Mbit/s link passes 18
// of them (144 000 bits; the 19th would overflow the 150 000), and a long
// idle time stores no credit for the next burst.
func TestCapVideoQueueDepth(t *testing.T) {
	now := time.Unix(0, 0)
	c := &capVideo{bps: 1_000_000, now: func() time.Time { return now }}
	burst := func() int {
		passed := 0
		for range 100 {
			if c.fits(1000) {
				passed++
			}
		}
		return passed
	}
	if n := burst(); n != 18 {
		t.Errorf("a burst into an idle link: %d packets passed, want 18", n)
	}
	now = now.Add(10 * time.Second)
	if n := burst(); n != 18 {
		t.Errorf("a burst after 10 s idle: %d packets passed, want 18", n)
	}
}

// TestHoldAudioSendsHeldOnce: the packets held are sent once, with the
// payload they were written with (the writer's buffer may be used again
// once Write returns), and later packets go out alone.
func TestHoldAudioSendsHeldOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &holdAudio{}
		var sent []uint16
		var payloads []byte
		wire := interceptor.RTPWriterFunc(func(hdr *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
			sent = append(sent, hdr.SequenceNumber)
			payloads = append(payloads, payload[0])
			return 0, nil
		})
		audio := h.BindLocalStream(&interceptor.StreamInfo{MimeType: webrtc.MimeTypeOpus}, wire)
		buf := make([]byte, 1)
		write := func(seq uint16) {
			buf[0] = byte(seq)
			if _, err := audio.Write(&rtp.Header{SequenceNumber: seq}, buf, nil); err != nil {
				t.Fatal(err)
			}
		}
		h.hold(50 * time.Millisecond)
		for seq := uint16(1); seq <= 3; seq++ {
			write(seq)
		}
		time.Sleep(60 * time.Millisecond)
		write(4)
		write(5)
		if want := []uint16{1, 2, 3, 4, 5}; !slices.Equal(sent, want) {
			t.Errorf("sent %v, want %v: the held packets once", sent, want)
		}
		if want := []byte{1, 2, 3, 4, 5}; !slices.Equal(payloads, want) {
			t.Errorf("sent payloads %v, want %v: each as it was written", payloads, want)
		}
	})
}

// TestWholePicturesWaitForResends: pictures missing a packet wait for its
// resend, several at once (up to 64, the newest kept): each becomes whole
// when its resend comes.
func TestWholePicturesWaitForResends(t *testing.T) {
	var w wholePictures
	w.add(0, true) // starts the count
	// 70 pictures of two packets, each missing its first: 1..140.
	for p := range uint16(70) {
		w.add(2*p+2, true)
	}
	if w.whole != 0 {
		t.Fatalf("%d whole pictures with every one missing a packet", w.whole)
	}
	w.add(139, false) // the newest picture's
	w.add(137, false) // the one before it
	if w.whole != 2 {
		t.Errorf("%d whole pictures after the resends of the newest two's lost packets, want 2", w.whole)
	}
	w.add(1, false) // the oldest's, beyond the 64 kept
	if w.whole != 2 {
		t.Errorf("%d whole pictures after a resend for a picture no longer kept, want 2", w.whole)
	}
}
