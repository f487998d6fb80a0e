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

// TestHoldAudio: audio written while held is not sent, then sent all at
// once, in order, before the first packet written after the hold; video
// is never held.
func TestHoldAudio(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &holdAudio{}
		var sent []uint16
		wire := interceptor.RTPWriterFunc(func(hdr *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
			sent = append(sent, hdr.SequenceNumber)
			return 0, nil
		})
		audio := h.BindLocalStream(&interceptor.StreamInfo{MimeType: webrtc.MimeTypeOpus}, wire)
		video := h.BindLocalStream(&interceptor.StreamInfo{MimeType: webrtc.MimeTypeVP8}, wire)
		write := func(w interceptor.RTPWriter, seq uint16) {
			if _, err := w.Write(&rtp.Header{SequenceNumber: seq}, []byte{1}, nil); err != nil {
				t.Fatal(err)
			}
		}
		write(audio, 1)
		h.hold(50 * time.Millisecond)
		for seq := uint16(2); seq <= 6; seq++ {
			write(audio, seq)
			time.Sleep(5 * time.Millisecond)
		}
		write(video, 100)
		if want := []uint16{1, 100}; !slices.Equal(sent, want) {
			t.Fatalf("sent %v during the hold, want %v", sent, want)
		}
		time.Sleep(50 * time.Millisecond)
		write(audio, 7)
		if want := []uint16{1, 100, 2, 3, 4, 5, 6, 7}; !slices.Equal(sent, want) {
			t.Errorf("sent %v after the hold, want %v: the held packets late, none lost", sent, want)
		}
	})
}
