package room

import (
	"strconv"
	"strings"
	"testing"

	"mcu/codec"
)

// TestMixCodec: the mix goes out in VP8 to every offer that can receive
// it, in H.264 only to one that can receive nothing else of the two, in a
// format it can decode; sections the offerer does not receive in do not
// count.
func TestMixCodec(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	video := func(port, dir string, formats ...string) string {
		var pts []string
		var attrs string
		for i, f := range formats {
			pt := strconv.Itoa(96 + i)
			name, fmtp, _ := strings.Cut(f, " ")
			pts = append(pts, pt)
			attrs += "a=rtpmap:" + pt + " " + name + "/90000\r\n"
			if fmtp != "" {
				attrs += "a=fmtp:" + pt + " " + fmtp + "\r\n"
			}
		}
		if dir != "" {
			attrs += "a=" + dir + "\r\n"
		}
		return "m=video " + port + " UDP/TLS/RTP/SAVPF " + strings.Join(pts, " ") + "\r\n" + attrs
	}
	const audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
	const h264 = "H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	for _, c := range []struct {
		name, sdp string
		want      codec.VideoCodec
	}{
		{"VP8 and H.264", video("9", "", "VP8", h264), codec.VP8},
		{"H.264 first, VP8 too", video("9", "recvonly", h264, "VP8"), codec.VP8},
		{"H.264 only", video("9", "recvonly", h264), codec.H264},
		{"h264 in lower case", video("9", "sendrecv", "h264 packetization-mode=1;profile-level-id=42E01F"), codec.H264},
		{"constrained high", video("9", "", "H264 packetization-mode=1;profile-level-id=640c1f"), codec.H264},
		{"main", video("9", "", "H264 packetization-mode=1;profile-level-id=4d001f"), codec.H264},
		{"packetization mode 0 only", video("9", "", "H264 packetization-mode=0;profile-level-id=42e01f"), codec.VP8},
		{"no packetization mode", video("9", "", "H264 profile-level-id=42e01f"), codec.VP8},
		{"high 4:4:4 only", video("9", "", "H264 packetization-mode=1;profile-level-id=f4001f"), codec.VP8},
		{"a short profile-level-id", video("9", "", "H264 packetization-mode=1;profile-level-id=42e0"), codec.VP8},
		{"VP9 only", video("9", "", "VP9 profile-id=0"), codec.VP8},
		{"H.264 sent only (sendonly): receives no video", video("9", "sendonly", h264), codec.VP8},
		{"H.264 inactive", video("9", "inactive", h264), codec.VP8},
		{"H.264 rejected (port 0)", video("0", "", h264), codec.VP8},
		{"H.264 bundled (port 0, bundle-only)", video("0", "bundle-only", h264), codec.H264},
		{"H.264 sent in one section, received in another in VP8", video("9", "sendonly", h264) + video("9", "recvonly", "VP8"), codec.VP8},
		{"VP8 sent only, H.264 received", video("9", "sendonly", "VP8") + video("9", "recvonly", h264), codec.H264},
		{"audio only", "", codec.VP8},
	} {
		sdp := head + audio + c.sdp
		if got := mixCodec(sdp); got != c.want {
			t.Errorf("%s: %v, want %v\n%s", c.name, got, c.want, sdp)
		}
	}
	if got := mixCodec("not sdp"); got != codec.VP8 {
		t.Errorf("garbage: %v", got)
	}
}
