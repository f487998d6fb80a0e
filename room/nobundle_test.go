package room

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// Offers of GStreamer's webrtcbin (1.22) with bundle-policy=none, as
// Meetecho's simple-whip-client sends for audio-only or video-only: no
// a=group:BUNDLE line. pion (v4.2.20, generateMatchedSDP) reads the absent
// group as an empty one and rejected every section of its answer (port 0):
// webrtcbin took the section as refused and never began DTLS, the server
// dropped the 201'd session 15 s later.
var gstSingleOffer = "v=0\r\n" +
	"o=- 4209485935783443933 0 IN IP4 0.0.0.0\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=ice-options:trickle\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=setup:actpass\r\n" +
	"a=ice-ufrag:TjoSuNlBZtza+Com0MbpwFZ4+B+nWYIp\r\n" +
	"a=ice-pwd:6km00Wq53oOj0kq4d6AoAJ9VFAlxbNh2\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtcp-rsize\r\n" +
	"a=sendonly\r\n" +
	"a=rtpmap:96 VP8/90000\r\n" +
	"a=rtcp-fb:96 nack pli\r\n" +
	"a=rtcp-fb:96 ccm fir\r\n" +
	"a=rtcp-fb:96 transport-cc\r\n" +
	"a=framerate:30\r\n" +
	"a=ssrc:2 msid:user2042871594@host-ba3d763 webrtctransceiver0\r\n" +
	"a=ssrc:2 cname:user2042871594@host-ba3d763\r\n" +
	"a=mid:video0\r\n" +
	"a=fingerprint:sha-256 27:4B:BA:C3:75:73:E9:44:C9:F4:FC:CA:B7:3A:6E:D0:44:6E:EF:15:B4:EB:66:D3:E0:16:49:61:E2:BC:25:77\r\n" +
	"a=rtcp-mux-only\r\n"

var gstUnbundledAV = "v=0\r\n" +
	"o=- 3345876292962554962 0 IN IP4 0.0.0.0\r\n" +
	"s=-\r\n" +
	"t=0 0\r\n" +
	"a=ice-options:trickle\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=setup:actpass\r\n" +
	"a=ice-ufrag:+0x6sTqNm1Pdykq4U6Eca0UNmPdy32CO\r\n" +
	"a=ice-pwd:/GKvC6LR/ALztbSKwCGPde1zBHAi/XAo\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtcp-rsize\r\n" +
	"a=sendonly\r\n" +
	"a=rtpmap:96 VP8/90000\r\n" +
	"a=rtcp-fb:96 nack pli\r\n" +
	"a=rtcp-fb:96 ccm fir\r\n" +
	"a=rtcp-fb:96 transport-cc\r\n" +
	"a=framerate:30\r\n" +
	"a=ssrc:2 msid:user2342330493@host-fbe58fb webrtctransceiver0\r\n" +
	"a=ssrc:2 cname:user2342330493@host-fbe58fb\r\n" +
	"a=mid:video0\r\n" +
	"a=fingerprint:sha-256 E3:62:F8:6B:0B:FC:2C:A1:6E:DA:23:1A:CE:30:C8:ED:D0:1C:0C:12:A0:7A:68:82:2F:06:94:54:D6:96:64:0A\r\n" +
	"a=rtcp-mux-only\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 100\r\n" +
	"c=IN IP4 0.0.0.0\r\n" +
	"a=setup:actpass\r\n" +
	"a=ice-ufrag:KwBNRbdr8Ao1q2y4rQWHAO5vyHETJY1w\r\n" +
	"a=ice-pwd:GpCiVswvxhZeX+4q0fVnvpPcUNCqYBr2\r\n" +
	"a=rtcp-mux\r\n" +
	"a=rtcp-rsize\r\n" +
	"a=sendonly\r\n" +
	"a=rtpmap:100 OPUS/48000/2\r\n" +
	"a=rtcp-fb:100 transport-cc\r\n" +
	"a=fmtp:100 sprop-stereo=0;sprop-maxcapturerate=48000\r\n" +
	"a=ssrc:1 msid:user2342330493@host-fbe58fb webrtctransceiver1\r\n" +
	"a=ssrc:1 cname:user2342330493@host-fbe58fb\r\n" +
	"a=mid:audio1\r\n" +
	"a=fingerprint:sha-256 E3:62:F8:6B:0B:FC:2C:A1:6E:DA:23:1A:CE:30:C8:ED:D0:1C:0C:12:A0:7A:68:82:2F:06:94:54:D6:96:64:0A\r\n" +
	"a=rtcp-mux-only\r\n"

// TestOfferWithoutBundleGroup: webrtcbin's offers without a BUNDLE group
// get an answer whose first section is taken (pion has one transport),
// the others rejected, and no BUNDLE group the offer did not ask for.
func TestOfferWithoutBundleGroup(t *testing.T) {
	m := testManager(t)
	for _, c := range []struct {
		name, offer string
		wantOpen    int // sections answered with a port other than 0
	}{
		{"webrtcbin video only, no BUNDLE", gstSingleOffer, 1},
		{"webrtcbin audio+video, no BUNDLE", gstUnbundledAV, 1},
	} {
		s, answer, err := m.Join(context.Background(), "nobundle", "", Publisher, c.offer)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		open := openSections(answer)
		if open != c.wantOpen || strings.Contains(answer, "a=group:BUNDLE") {
			t.Errorf("%s: %d sections not rejected, want %d, and no BUNDLE group (the offer had none):\n%s", c.name, open, c.wantOpen, answer)
		}
		m.Leave("nobundle", s.Key())
	}
}

// TestOfferWithoutBundleGroupButLS: an offer without BUNDLE but with
// another group (RFC 5888 LS, lip sync): pion reads only the first
// a=group, and "LS ..." with the letters of "BUNDLE" trimmed from its left
// bundled every mid listed on its one transport.
func TestOfferWithoutBundleGroupButLS(t *testing.T) {
	m := testManager(t)
	offer := strings.Replace(gstUnbundledAV, "a=ice-options:trickle\r\n", "a=ice-options:trickle\r\na=group:LS video0 audio1\r\n", 1)
	s, answer, err := m.Join(context.Background(), "nobundle", "", Publisher, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave("nobundle", s.Key())
	open := openSections(answer)
	if open != 1 {
		t.Errorf("%d sections not rejected, want 1 (pion has one transport, the offer bundles nothing):\n%s", open, answer)
	}
}

// TestOfferLSBeforeBundle: an offer whose BUNDLE group follows an LS
// group naming fewer mids: both sections bundled, as the offer asks.
func TestOfferLSBeforeBundle(t *testing.T) {
	m := testManager(t)
	offer := strings.Replace(gstUnbundledAV, "a=ice-options:trickle\r\n", "a=ice-options:trickle\r\na=group:LS audio1\r\na=group:BUNDLE video0 audio1\r\n", 1)
	s, answer, err := m.Join(context.Background(), "nobundle", "", Publisher, offer)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave("nobundle", s.Key())
	open := openSections(answer)
	if open != 2 {
		t.Errorf("%d sections not rejected, want 2 (both bundled):\n%s", open, answer)
	}
}

// openSections counts the media sections of an answer not rejected (a
// port other than 0).
func openSections(answer string) int {
	open := 0
	for _, p := range sectionPort.FindAllStringSubmatch(answer, -1) {
		if p[2] != "0" {
			open++
		}
	}
	return open
}

var sectionPort = regexp.MustCompile(`(?m)^m=(audio|video) (\d+) `)
