package room

import (
	"strings"

	"github.com/pion/sdp/v3"

	"mcu/codec"
)

// mixCodec is the format the mix goes out in to the receiver whose offer
// this is: VP8, which the room always encodes, when the offer can receive
// it; H.264 when it can receive only that (see h264Sendable): players and devices with nothing but an
// H.264 decoder, often in hardware. While such a receiver is in a room,
// its canvas is encoded to H.264 too (mixer.SetH264). An offer that
// receives video in neither format, or none at all, gets VP8: pion then
// refuses the first, as before.
func mixCodec(offer string) codec.VideoCodec {
	var d sdp.SessionDescription
	if d.UnmarshalString(offer) != nil {
		return codec.VP8
	}
	h264 := false
	// A section without a direction of its own has the session's (RFC
	// 8866 6.7).
	session := "sendrecv"
	for _, a := range d.Attributes {
		if isDirection(a.Key) {
			session = a.Key
		}
	}
	for _, md := range d.MediaDescriptions {
		if !receivesVideo(md, session) {
			continue
		}
		names := map[string]string{} // payload type → encoding name
		fmtps := map[string]string{}
		for _, a := range md.Attributes {
			pt, rest, _ := strings.Cut(a.Value, " ")
			switch a.Key {
			case "rtpmap":
				name, _, _ := strings.Cut(rest, "/")
				names[pt] = strings.ToUpper(name)
			case "fmtp":
				fmtps[pt] = rest
			}
		}
		for pt, name := range names {
			switch {
			case name == "VP8":
				return codec.VP8
			case name == "H264" && h264Sendable(fmtps[pt]):
				h264 = true
			}
		}
	}
	if h264 {
		return codec.H264
	}
	return codec.VP8
}

// receivesVideo tells whether md is a video section in which the offerer
// may receive: not rejected (port 0 without bundle-only), not sendonly or
// inactive, in its own direction or else the session's.
func receivesVideo(md *sdp.MediaDescription, session string) bool {
	if md.MediaName.Media != "video" {
		return false
	}
	if _, bundled := md.Attribute("bundle-only"); md.MediaName.Port.Value == 0 && !bundled {
		return false
	}
	dir := session
	for _, a := range md.Attributes {
		if isDirection(a.Key) {
			dir = a.Key
		}
	}
	return dir != "sendonly" && dir != "inactive"
}

func isDirection(key string) bool {
	switch key {
	case "sendrecv", "sendonly", "recvonly", "inactive":
		return true
	}
	return false
}

// h264Sendable tells whether an H.264 format's parameters (fmtp) let it
// carry the mix: packetization mode 1 (the mix's pictures are split into
// fragments), and a profile whose decoders take constrained baseline,
// which the mix is: baseline, main, extended or high, with any constraint
// flags (profile_idc, the first two hex digits of profile-level-id). pion
// negotiates such a format even where no entry of videoCodecs has its
// exact profile.
func h264Sendable(fmtp string) bool {
	params := map[string]string{}
	for _, p := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[strings.ToLower(k)] = strings.ToLower(v)
	}
	plid := params["profile-level-id"]
	if params["packetization-mode"] != "1" || len(plid) != 6 {
		return false
	}
	switch plid[:2] {
	case "42", "4d", "58", "64":
		return true
	}
	return false
}
