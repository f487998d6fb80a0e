package room

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
)

// Hand-written offers as current browsers and WHIP tools send them (their
// ICE candidates left out: the answer is what is checked).

const testFingerprint = "sha-256 3A:1F:0C:9D:55:21:7E:AA:10:42:6B:93:0E:FF:12:34:56:78:9A:BC:DE:F0:11:22:33:44:55:66:77:88:99:00"

func sdpText(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func iceLines(ufrag string) []string {
	return []string{
		"a=ice-ufrag:" + ufrag,
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=ice-options:trickle",
		"a=fingerprint:" + testFingerprint,
		"a=setup:actpass",
	}
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// chromeOffer is Chrome 13x's offer of a camera and a microphone
// (sendrecv), with simulcast (three rids, no SSRCs) if simulcast.
func chromeOffer(simulcast bool) string {
	head := []string{
		"v=0",
		"o=- 4611731400430051336 2 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0 1",
		"a=extmap-allow-mixed",
		"a=msid-semantic: WMS stream1",
	}
	audio := cat([]string{
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
	}, iceLines("chrA"), []string{
		"a=mid:0",
		"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
		"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=sendrecv",
		"a=msid:stream1 audio1",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=rtpmap:111 opus/48000/2",
		"a=rtcp-fb:111 transport-cc",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"a=rtpmap:63 red/48000/2",
		"a=fmtp:63 111/111",
		"a=rtpmap:9 G722/8000",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:13 CN/8000",
		"a=rtpmap:110 telephone-event/48000",
		"a=rtpmap:126 telephone-event/8000",
		"a=ssrc:1001 cname:chromecname",
		"a=ssrc:1001 msid:stream1 audio1",
	})
	video := cat([]string{
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 103 104 107 108 109 114 115 116 117 118 39 40 45 46 98 99 100 101 119 120 123 124 125",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
	}, iceLines("chrA"), []string{
		"a=mid:1",
		"a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
		"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
		"a=extmap:13 urn:3gpp:video-orientation",
		"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
		"a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
		"a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
		"a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
		"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
		"a=extmap:12 https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
		"a=sendrecv",
		"a=msid:stream1 video1",
		"a=rtcp-mux",
		"a=rtcp-rsize",
	})
	type vc struct{ pt, rtx, name, fmtp string }
	for _, c := range []vc{
		{"96", "97", "VP8", ""},
		{"103", "104", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"},
		{"107", "108", "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f"},
		{"109", "114", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
		{"115", "116", "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f"},
		{"117", "118", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"},
		{"39", "40", "H264", "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f"},
		{"45", "46", "AV1", "level-idx=5;profile=0;tier=0"},
		{"98", "99", "VP9", "profile-id=0"},
		{"100", "101", "VP9", "profile-id=2"},
		{"119", "120", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"},
	} {
		video = append(video, "a=rtpmap:"+c.pt+" "+c.name+"/90000")
		for _, fb := range []string{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"} {
			video = append(video, "a=rtcp-fb:"+c.pt+" "+fb)
		}
		if c.fmtp != "" {
			video = append(video, "a=fmtp:"+c.pt+" "+c.fmtp)
		}
		video = append(video, "a=rtpmap:"+c.rtx+" rtx/90000", "a=fmtp:"+c.rtx+" apt="+c.pt)
	}
	video = append(video,
		"a=rtpmap:123 red/90000",
		"a=rtpmap:124 rtx/90000",
		"a=fmtp:124 apt=123",
		"a=rtpmap:125 ulpfec/90000",
	)
	if simulcast {
		video = append(video,
			"a=rid:q send",
			"a=rid:h send",
			"a=rid:f send",
			"a=simulcast:send q;h;f",
		)
	} else {
		video = append(video,
			"a=ssrc-group:FID 2001 2002",
			"a=ssrc:2001 cname:chromecname",
			"a=ssrc:2001 msid:stream1 video1",
			"a=ssrc:2002 cname:chromecname",
			"a=ssrc:2002 msid:stream1 video1",
		)
	}
	return sdpText(cat(head, audio, video)...)
}

// firefoxOffer is Firefox 13x's (max-bundle: the video bundle-only).
func firefoxOffer() string {
	return sdpText(cat([]string{
		"v=0",
		"o=mozilla...THIS_IS_SDPARTA-128.0 7312370862462361237 0 IN IP4 0.0.0.0",
		"s=-",
		"t=0 0",
		"a=fingerprint:" + testFingerprint,
		"a=group:BUNDLE 0 1",
		"a=ice-options:trickle",
		"a=msid-semantic:WMS *",
		"m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
		"c=IN IP4 0.0.0.0",
		"a=sendrecv",
		"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level",
		"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1",
		"a=fmtp:101 0-15",
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=ice-ufrag:ffox",
		"a=mid:0",
		"a=msid:{s1} {a1}",
		"a=rtcp-mux",
		"a=rtpmap:109 opus/48000/2",
		"a=rtpmap:9 G722/8000/1",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000/1",
		"a=setup:actpass",
		"a=ssrc:3001 cname:{ffcname}",
		"m=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98 105 106 103 104 99 100 123 122 119",
		"c=IN IP4 0.0.0.0",
		"a=bundle-only",
		"a=sendrecv",
		"a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
		"a=extmap:5 urn:ietf:params:rtp-hdrext:toffset",
		"a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
		"a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1",
		"a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1",
		"a=fmtp:105 profile-level-id=42001f;level-asymmetry-allowed=1;packetization-mode=1",
		"a=fmtp:103 profile-level-id=42001f;level-asymmetry-allowed=1",
		"a=fmtp:99 level-idx=5;profile=0;tier=0",
		"a=fmtp:120 max-fs=12288;max-fr=60",
		"a=fmtp:124 apt=120",
		"a=fmtp:121 max-fs=12288;max-fr=60",
		"a=fmtp:125 apt=121",
		"a=fmtp:127 apt=126",
		"a=fmtp:98 apt=97",
		"a=fmtp:106 apt=105",
		"a=fmtp:104 apt=103",
		"a=fmtp:100 apt=99",
		"a=fmtp:119 apt=122",
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=ice-ufrag:ffox",
		"a=mid:1",
		"a=msid:{s1} {v1}",
		"a=rtcp-fb:120 nack",
		"a=rtcp-fb:120 nack pli",
		"a=rtcp-fb:120 ccm fir",
		"a=rtcp-fb:120 goog-remb",
		"a=rtcp-fb:120 transport-cc",
		"a=rtcp-fb:121 nack",
		"a=rtcp-fb:121 nack pli",
		"a=rtcp-fb:121 ccm fir",
		"a=rtcp-fb:121 goog-remb",
		"a=rtcp-fb:121 transport-cc",
		"a=rtcp-fb:126 nack",
		"a=rtcp-fb:126 nack pli",
		"a=rtcp-fb:126 ccm fir",
		"a=rtcp-fb:126 goog-remb",
		"a=rtcp-fb:126 transport-cc",
		"a=rtcp-fb:97 nack",
		"a=rtcp-fb:97 nack pli",
		"a=rtcp-fb:97 ccm fir",
		"a=rtcp-fb:97 goog-remb",
		"a=rtcp-fb:97 transport-cc",
		"a=rtcp-fb:105 nack",
		"a=rtcp-fb:105 nack pli",
		"a=rtcp-fb:105 ccm fir",
		"a=rtcp-fb:105 goog-remb",
		"a=rtcp-fb:105 transport-cc",
		"a=rtcp-fb:99 nack",
		"a=rtcp-fb:99 nack pli",
		"a=rtcp-fb:99 ccm fir",
		"a=rtcp-fb:99 goog-remb",
		"a=rtcp-fb:99 transport-cc",
		"a=rtcp-fb:123 nack",
		"a=rtcp-fb:123 nack pli",
		"a=rtcp-fb:123 ccm fir",
		"a=rtcp-fb:123 goog-remb",
		"a=rtcp-fb:123 transport-cc",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=rtpmap:120 VP8/90000",
		"a=rtpmap:124 rtx/90000",
		"a=rtpmap:121 VP9/90000",
		"a=rtpmap:125 rtx/90000",
		"a=rtpmap:126 H264/90000",
		"a=rtpmap:127 rtx/90000",
		"a=rtpmap:97 H264/90000",
		"a=rtpmap:98 rtx/90000",
		"a=rtpmap:105 H264/90000",
		"a=rtpmap:106 rtx/90000",
		"a=rtpmap:103 H264/90000",
		"a=rtpmap:104 rtx/90000",
		"a=rtpmap:99 AV1/90000",
		"a=rtpmap:100 rtx/90000",
		"a=rtpmap:123 ulpfec/90000",
		"a=rtpmap:122 red/90000",
		"a=rtpmap:119 rtx/90000",
		"a=setup:actpass",
		"a=ssrc:3002 cname:{ffcname}",
		"a=ssrc:3003 cname:{ffcname}",
		"a=ssrc-group:FID 3002 3003",
	})...)
}

// safariOffer is Safari 18's: H.264 (constrained high, then constrained
// baseline) first, H.265, VP8, VP9; rtx, red and ulpfec.
func safariOffer() string {
	return sdpText(cat([]string{
		"v=0",
		"o=- 1207213474138094405 2 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0 1",
		"a=extmap-allow-mixed",
		"a=msid-semantic: WMS sf",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
	}, iceLines("safA"), []string{
		"a=mid:0",
		"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
		"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=sendrecv",
		"a=msid:sf sa",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=rtcp-fb:111 transport-cc",
		"a=fmtp:111 minptime=10;useinbandfec=1",
		"a=rtpmap:63 red/48000/2",
		"a=fmtp:63 111/111",
		"a=rtpmap:9 G722/8000",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:13 CN/8000",
		"a=rtpmap:110 telephone-event/48000",
		"a=rtpmap:126 telephone-event/8000",
		"a=ssrc:4001 cname:sfc",
		"a=ssrc:4001 msid:sf sa",
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 127 125 104 105 106 107 108 109 110",
		"c=IN IP4 0.0.0.0",
		"a=rtcp:9 IN IP4 0.0.0.0",
	}, iceLines("safA"), []string{
		"a=mid:1",
		"a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
		"a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
		"a=extmap:13 urn:3gpp:video-orientation",
		"a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
		"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
		"a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
		"a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
		"a=sendrecv",
		"a=msid:sf sv",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=rtpmap:96 H264/90000",
		"a=rtcp-fb:96 goog-remb",
		"a=rtcp-fb:96 transport-cc",
		"a=rtcp-fb:96 ccm fir",
		"a=rtcp-fb:96 nack",
		"a=rtcp-fb:96 nack pli",
		"a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f",
		"a=rtpmap:97 rtx/90000",
		"a=fmtp:97 apt=96",
		"a=rtpmap:98 H264/90000",
		"a=rtcp-fb:98 goog-remb",
		"a=rtcp-fb:98 transport-cc",
		"a=rtcp-fb:98 ccm fir",
		"a=rtcp-fb:98 nack",
		"a=rtcp-fb:98 nack pli",
		"a=fmtp:98 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		"a=rtpmap:99 rtx/90000",
		"a=fmtp:99 apt=98",
		"a=rtpmap:100 H265/90000",
		"a=rtcp-fb:100 nack",
		"a=rtcp-fb:100 nack pli",
		"a=fmtp:100 level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST",
		"a=rtpmap:101 rtx/90000",
		"a=fmtp:101 apt=100",
		"a=rtpmap:127 VP8/90000",
		"a=rtcp-fb:127 goog-remb",
		"a=rtcp-fb:127 transport-cc",
		"a=rtcp-fb:127 ccm fir",
		"a=rtcp-fb:127 nack",
		"a=rtcp-fb:127 nack pli",
		"a=rtpmap:125 rtx/90000",
		"a=fmtp:125 apt=127",
		"a=rtpmap:104 VP9/90000",
		"a=rtcp-fb:104 nack",
		"a=rtcp-fb:104 nack pli",
		"a=fmtp:104 profile-id=0",
		"a=rtpmap:105 rtx/90000",
		"a=fmtp:105 apt=104",
		"a=rtpmap:106 VP9/90000",
		"a=fmtp:106 profile-id=2",
		"a=rtpmap:107 rtx/90000",
		"a=fmtp:107 apt=106",
		"a=rtpmap:108 red/90000",
		"a=rtpmap:109 rtx/90000",
		"a=fmtp:109 apt=108",
		"a=rtpmap:110 ulpfec/90000",
		"a=ssrc-group:FID 4002 4003",
		"a=ssrc:4002 cname:sfc",
		"a=ssrc:4002 msid:sf sv",
		"a=ssrc:4003 cname:sfc",
		"a=ssrc:4003 msid:sf sv",
	})...)
}

// obsOffer is OBS 30's WHIP offer (libdatachannel): sendonly Opus stereo
// and H.264.
func obsOffer() string {
	return sdpText(cat([]string{
		"v=0",
		"o=rtc 3767197920 0 IN IP4 127.0.0.1",
		"s=-",
		"t=0 0",
		"a=group:BUNDLE 0 1",
		"a=group:LS 0 1",
		"a=msid-semantic:WMS *",
		"a=setup:actpass",
		"a=ice-ufrag:obsU",
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=ice-options:ice2,trickle",
		"a=fingerprint:" + testFingerprint,
		"m=audio 9 UDP/TLS/RTP/SAVPF 111",
		"c=IN IP4 0.0.0.0",
		"a=mid:0",
		"a=sendonly",
		"a=ssrc:5001 cname:obscname",
		"a=ssrc:5001 msid:obs-stream obs-audio",
		"a=msid:obs-stream obs-audio",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;maxaveragebitrate=96000;stereo=1;sprop-stereo=1;useinbandfec=1",
		"m=video 9 UDP/TLS/RTP/SAVPF 96",
		"c=IN IP4 0.0.0.0",
		"a=mid:1",
		"a=sendonly",
		"a=ssrc:5002 cname:obscname",
		"a=ssrc:5002 msid:obs-stream obs-video",
		"a=msid:obs-stream obs-video",
		"a=rtcp-mux",
		"a=rtpmap:96 H264/90000",
		"a=rtcp-fb:96 nack",
		"a=rtcp-fb:96 nack pli",
		"a=rtcp-fb:96 goog-remb",
		"a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
	})...)
}

// ffmpegOffer is FFmpeg 8's WHIP muxer's: sendonly, High profile level 4.0.
func ffmpegOffer() string {
	return sdpText(cat([]string{
		"v=0",
		"o=FFmpeg 4489045141692799359 2 IN IP4 127.0.0.1",
		"s=FFmpegPublishSession",
		"t=0 0",
		"a=group:BUNDLE 0 1",
		"a=extmap-allow-mixed",
		"a=msid-semantic: WMS",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111",
		"c=IN IP4 0.0.0.0",
	}, iceLines("ffmU"), []string{
		"a=mid:0",
		"a=sendonly",
		"a=msid:FFmpeg audio",
		"a=rtcp-mux",
		"a=rtpmap:111 opus/48000/2",
		"a=ssrc:6001 cname:FFmpeg",
		"a=ssrc:6001 msid:FFmpeg audio",
		"m=video 9 UDP/TLS/RTP/SAVPF 106",
		"c=IN IP4 0.0.0.0",
	}, iceLines("ffmU"), []string{
		"a=mid:1",
		"a=sendonly",
		"a=msid:FFmpeg video",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=rtpmap:106 H264/90000",
		"a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640028",
		"a=ssrc:6002 cname:FFmpeg",
		"a=ssrc:6002 msid:FFmpeg video",
	})...)
}

// gstOffer is GStreamer's whipclientsink (webrtcsink) offer: VP8 with
// rtx, red and ulpfec (its defaults: do-nack, fec-type ulp-red), Opus
// with sprop parameters.
func gstOffer() string {
	return sdpText(cat([]string{
		"v=0",
		"o=- 4129587421372412290 0 IN IP4 0.0.0.0",
		"s=-",
		"t=0 0",
		"a=ice-options:trickle",
		"a=group:BUNDLE video0 audio1",
		"m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99",
		"c=IN IP4 0.0.0.0",
		"a=setup:actpass",
		"a=ice-ufrag:gstU",
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=sendonly",
		"a=rtpmap:96 VP8/90000",
		"a=rtcp-fb:96 nack",
		"a=rtcp-fb:96 nack pli",
		"a=rtcp-fb:96 ccm fir",
		"a=rtcp-fb:96 transport-cc",
		"a=extmap:1 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=rtpmap:97 red/90000",
		"a=rtpmap:98 ulpfec/90000",
		"a=rtpmap:99 rtx/90000",
		"a=fmtp:99 apt=96",
		"a=ssrc-group:FID 7001 7002",
		"a=ssrc:7001 msid:user1 webrtctransceiver0",
		"a=ssrc:7001 cname:user1",
		"a=ssrc:7002 msid:user1 webrtctransceiver0",
		"a=ssrc:7002 cname:user1",
		"a=mid:video0",
		"a=fingerprint:" + testFingerprint,
		"m=audio 0 UDP/TLS/RTP/SAVPF 100",
		"c=IN IP4 0.0.0.0",
		"a=bundle-only",
		"a=setup:actpass",
		"a=ice-ufrag:gstU",
		"a=ice-pwd:abcdefghijklmnopqrstuvwx",
		"a=rtcp-mux",
		"a=rtcp-rsize",
		"a=sendonly",
		"a=rtpmap:100 OPUS/48000/2",
		"a=rtcp-fb:100 transport-cc",
		"a=fmtp:100 sprop-maxcapturerate=48000;sprop-stereo=0",
		"a=extmap:1 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
		"a=ssrc:7003 msid:user1 webrtctransceiver1",
		"a=ssrc:7003 cname:user1",
		"a=mid:audio1",
		"a=fingerprint:" + testFingerprint,
	})...)
}

// answerSection is what the answer says of one media section.
type answerSection struct {
	kind     string
	formats  []string          // encoding names, in order
	fmtps    map[string]string // by encoding name: the first's
	exts     []string
	feedback map[string]bool
	attrs    map[string][]string
}

func readAnswer(t *testing.T, answer string) []answerSection {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	var out []answerSection
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Port.Value == 0 {
			if _, bundled := md.Attribute("bundle-only"); !bundled {
				continue
			}
		}
		s := answerSection{kind: md.MediaName.Media, fmtps: map[string]string{}, feedback: map[string]bool{}, attrs: map[string][]string{}}
		names, fmtps := formats(md)
		for _, pt := range md.MediaName.Formats {
			s.formats = append(s.formats, names[pt])
			if _, ok := s.fmtps[names[pt]]; !ok {
				s.fmtps[names[pt]] = fmtps[pt]
			}
		}
		for _, a := range md.Attributes {
			s.attrs[a.Key] = append(s.attrs[a.Key], a.Value)
			switch a.Key {
			case "extmap":
				f := strings.Fields(a.Value)
				if len(f) >= 2 {
					s.exts = append(s.exts, f[1])
				}
			case "rtcp-fb":
				_, fb, _ := strings.Cut(a.Value, " ")
				s.feedback[fb] = true
			}
		}
		out = append(out, s)
	}
	return out
}

// TestRealOffersNegotiateWhatIsDecoded: the answers to browsers' and WHIP
// tools' offers take only formats mcu decodes (no rtx, red, ulpfec,
// flexfec, CN, DTMF, G.711, H.265, VP9 profile 2), header extensions it
// reads or needs none of (no video orientation, playout delay, dependency
// descriptor), transport-cc for congestion control, NACK and PLI, and
// Opus without stereo=1 (which would make a browser encode its mono
// microphone in stereo, at twice the bitrate).
func TestRealOffersNegotiateWhatIsDecoded(t *testing.T) {
	m := testManager(t)
	video := map[string]bool{"VP8": true, "VP9": true, "H264": true, "AV1": true}
	readable := map[string]bool{
		sdp.TransportCCURI:           true,
		sdp.SDESMidURI:               true,
		sdp.SDESRTPStreamIDURI:       true,
		sdp.SDESRepairRTPStreamIDURI: true,
	}
	for _, tc := range []struct {
		name      string
		kind      Kind
		offer     string
		firstVid  string
		simulcast bool
	}{
		{"chrome", Participant, chromeOffer(false), "VP8", false},
		{"chrome simulcast", Participant, chromeOffer(true), "VP8", true},
		{"firefox", Participant, firefoxOffer(), "VP8", false},
		{"safari", Participant, safariOffer(), "H264", false},
		{"obs whip", Publisher, obsOffer(), "H264", false},
		{"ffmpeg whip", Publisher, ffmpegOffer(), "H264", false},
		{"gstreamer whip", Publisher, gstOffer(), "VP8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, answer, err := m.Join(ctx, strings.ReplaceAll(tc.name, " ", "-"), "", tc.kind, tc.offer)
			if err != nil {
				t.Fatalf("join: %v", err)
			}
			defer m.Leave(s.room.name, s.Key())
			t.Logf("answer:\n%s", answer)
			sections := readAnswer(t, answer)
			if len(sections) != 2 {
				t.Fatalf("%d media sections taken, want 2", len(sections))
			}
			for _, sec := range sections {
				if len(sec.formats) == 0 {
					t.Errorf("%s: no format", sec.kind)
					continue
				}
				for _, f := range sec.formats {
					if sec.kind == "audio" && f != "OPUS" || sec.kind == "video" && !video[f] {
						t.Errorf("%s: the answer takes %s, which mcu does not decode or unwrap", sec.kind, f)
					}
				}
				for _, e := range sec.exts {
					if !readable[e] {
						t.Errorf("%s: the answer takes header extension %s", sec.kind, e)
					}
				}
				// transport-cc where the offer has it (browsers: both kinds but
				// Firefox's audio).
				if strings.Contains(offerSection(tc.offer, sec.kind), "transport-wide-cc") &&
					(!slices.Contains(sec.exts, sdp.TransportCCURI) || !sec.feedback["transport-cc"]) {
					t.Errorf("%s: transport-cc not negotiated (extension %v, feedback %v)", sec.kind, sec.exts, sec.feedback)
				}
				switch sec.kind {
				case "audio":
					p := fmtpParams(sec.fmtps["OPUS"])
					if p["stereo"] == "1" {
						t.Errorf("audio: the answer's Opus parameters %q ask the sender for stereo", sec.fmtps["OPUS"])
					}
					if p["useinbandfec"] != "1" && tc.kind == Participant {
						t.Errorf("audio: the answer's Opus parameters %q do not take in-band FEC", sec.fmtps["OPUS"])
					}
				case "video":
					if sec.formats[0] != tc.firstVid {
						t.Errorf("video: the sender's first choice is %s, want %s", sec.formats[0], tc.firstVid)
					}
					for _, fb := range []string{"nack", "nack pli"} {
						if !sec.feedback[fb] && strings.Contains(offerSection(tc.offer, sec.kind), "nack") {
							t.Errorf("video: no %q feedback", fb)
						}
					}
					if p := fmtpParams(sec.fmtps["VP9"]); sec.fmtps["VP9"] != "" && p["profile-id"] != "0" && p["profile-id"] != "" {
						t.Errorf("video: VP9 %q taken", sec.fmtps["VP9"])
					}
					if p := fmtpParams(sec.fmtps["AV1"]); sec.fmtps["AV1"] != "" && p["profile"] != "0" && p["profile"] != "" {
						t.Errorf("video: AV1 %q taken", sec.fmtps["AV1"])
					}
					if tc.simulcast && len(sec.attrs["simulcast"]) == 0 {
						t.Errorf("video: simulcast not taken")
					}
				}
			}
		})
	}
}

// offerSection is the text of offer's first m= section of kind.
func offerSection(offer, kind string) string {
	i := strings.Index(offer, "m="+kind+" ")
	if i < 0 {
		return ""
	}
	rest := offer[i+2:]
	if j := strings.Index(rest, "\r\nm="); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
