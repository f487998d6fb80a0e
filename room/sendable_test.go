package room

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestUnsendableOfferRefused: a sender whose video (or audio) is in no
// format mcu decodes (OBS sending HEVC, a gateway sending G.711) is
// refused 400 saying why, before a room is opened: pion rejects the
// section, and the 201 that was answered left a publisher without picture
// or sound, or, with the rejected section first (the one the BUNDLE
// group is tagged with, as GStreamer's webrtcbin orders its offer), one
// that never connected (GStreamer 1.22's webrtcbin publishing H.265 and
// Opus: "a session's client never connected", reaped 15 s later).
func TestUnsendableOfferRefused(t *testing.T) {
	m := testManager(t)
	hevc := strings.NewReplacer(
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99", "m=video 9 UDP/TLS/RTP/SAVPF 96",
		"a=rtpmap:96 VP8/90000", "a=rtpmap:96 H265/90000",
		"a=rtpmap:97 red/90000\r\n", "", "a=rtpmap:98 ulpfec/90000\r\n", "",
		"a=rtpmap:99 rtx/90000\r\n", "", "a=fmtp:99 apt=96\r\n", "").Replace(gstOffer())
	g711 := strings.NewReplacer(
		"m=audio 0 UDP/TLS/RTP/SAVPF 100", "m=audio 0 UDP/TLS/RTP/SAVPF 8",
		"a=rtpmap:100 OPUS/48000/2", "a=rtpmap:8 PCMA/8000").Replace(gstOffer())
	for _, c := range []struct{ name, offer, why string }{
		{"hevc", hevc, "video"},
		{"g711", g711, "audio"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, _, err := m.Join(ctx, c.name, "", Publisher, c.offer)
		cancel()
		if err == nil {
			m.End(c.name, s.ID)
			t.Errorf("%s: a publisher sending %s in no format mcu decodes was taken", c.name, c.why)
			continue
		}
		if !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: %v, want ErrBadOffer saying %q", c.name, err, c.why)
		}
		if _, err := m.Room(c.name); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: a room was opened for the refused offer (%v)", c.name, err)
		}
	}
}
