package room

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestOfferWithoutDirection: an offer whose sections name no direction
// (sendrecv, RFC 8866 6.7), or only the session's, is answered with its
// media, not with an answer of no m= section.
func TestOfferWithoutDirection(t *testing.T) {
	m := testManager(t)
	strip := regexp.MustCompile(`(?m)^a=(sendrecv|sendonly|recvonly|inactive)\r?\n`)
	for _, c := range []struct {
		name, sessionDir string
		kind             Kind
		wantDir          string
	}{
		{"none", "", Participant, "a=sendrecv"},
		{"session sendonly", "a=sendonly\r\n", Publisher, "a=recvonly"},
	} {
		pc := testPeer(t, clientEngine(t, webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}), nil)
		sampleTrack(t, pc, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "s")
		sampleTrack(t, pc, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "a", "s")
		offer := strip.ReplaceAllString(gatheredOffer(t, pc), "")
		if c.sessionDir != "" {
			offer = strings.Replace(offer, "t=0 0\r\n", "t=0 0\r\n"+c.sessionDir, 1)
		}
		s, answer, err := m.Join(context.Background(), "dir", "", c.kind, offer)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n := strings.Count(answer, "\r\nm="); n != 2 || strings.Count(answer, c.wantDir) != 2 {
			t.Errorf("%s: answer with %d m= sections, want 2 each with %s:\n%s", c.name, n, c.wantDir, answer)
		}
		m.Leave("dir", s.Key())
	}
}
