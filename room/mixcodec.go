package room

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// mixCodec is the format the mix goes out in to the receiver whose offer
// this is: VP8, which the room always encodes, when the offer can receive
// it; H.264 when it can receive only that (see h264Sendable): players and devices with nothing but an
// H.264 decoder, often in hardware. While such a receiver is in a room,
// its canvas is encoded to H.264 too (mixer.SetH264). An offer that
// receives video in neither format gets VP8: pion then refuses it, as
// before. One that receives no video at all gets 0: no mix to send (the
// session is then served as a VP8 one, whose track pion does not send).
//
// For H.264 it also returns the highest level the offer can receive: the
// lowest of its H.264 formats' levels, so that the mix suits whichever
// of them pion takes (RFC 6184 8.1: a receiver's profile-level-id says
// the level it decodes up to).
func mixCodec(d *sdp.SessionDescription) (codec.VideoCodec, codec.H264Level) {
	h264, receives := false, false
	var level codec.H264Level
	session := sessionDirection(d)
	for _, md := range d.MediaDescriptions {
		if !receivesVideo(md, session) {
			continue
		}
		receives = true
		names, fmtps := formats(md)
		for pt, name := range names {
			if name == "VP8" {
				return codec.VP8, 0
			}
			if l, ok := h264Sendable(fmtps[pt]); name == "H264" && ok {
				h264 = true
				if level == 0 || l.Below(level) {
					level = l
				}
			}
		}
	}
	if h264 {
		return codec.H264, level
	}
	if !receives {
		return 0, 0 // no mix's picture to send
	}
	return codec.VP8, 0
}

// checkReceivable refuses an offer, before a room is opened for it, whose
// sections receiving video all take neither VP8 nor H.264 (see
// h264Sendable), or whose sections receiving audio all lack Opus: the
// mix cannot go out to it (pion refuses it only when it answers, the
// room opened meanwhile). An offer that receives no video, or no audio,
// is not refused here.
func checkReceivable(d *sdp.SessionDescription) error {
	session := sessionDirection(d)
	receiving, takes := map[string]bool{}, map[string]bool{} // by kind
	h264Refused := ""                                        // why an H.264 format was not taken
	for _, md := range d.MediaDescriptions {
		kind := md.MediaName.Media
		if (kind != "audio" && kind != "video") || !receives(md, session) {
			continue
		}
		receiving[kind] = true
		names, fmtps := formats(md)
		for pt, name := range names {
			_, h264 := h264Sendable(fmtps[pt])
			if kind == "audio" && name == "OPUS" || kind == "video" && (name == "VP8" || name == "H264" && h264) {
				takes[kind] = true
			} else if kind == "video" && name == "H264" && h264Refused == "" {
				h264Refused = h264Unsendable(fmtps[pt])
			}
		}
	}
	for kind := range receiving {
		if !takes[kind] {
			why := ""
			if kind == "video" && h264Refused != "" {
				why = "; its H.264 " + h264Refused
			}
			return fmt.Errorf("%w: it cannot receive the mix (VP8 or H.264 video, Opus audio)%s", ErrBadOffer, why)
		}
	}
	return nil
}

// decodable are the encoding names (upper case) of the formats pion
// takes from a sender, by kind: those of its media engine (videoCodecs and
// audioCodec), which it negotiates in any of their profiles (an H.264 of
// packetization mode 0 too). A section sending in none of them is
// rejected.
var decodable = func() map[string][]string {
	names := map[string][]string{}
	for _, c := range append([]webrtc.RTPCodecParameters{audioCodec}, videoCodecs...) {
		kind, name, _ := strings.Cut(c.MimeType, "/")
		if name = strings.ToUpper(name); !slices.Contains(names[kind], name) {
			names[kind] = append(names[kind], name)
		}
	}
	return names
}()

// checkSendable refuses an offer, before a room is opened for it, whose
// sections sending a kind (audio, video) all send it in no format mcu
// decodes (OBS sending H.265, a gateway sending G.711): pion rejects such
// a section, and the session was answered 201 without its picture or
// sound, or, when the section was the one its BUNDLE group is tagged
// with, one that never connected (RFC 9725: no partially successful
// answers).
func checkSendable(d *sdp.SessionDescription) error {
	session := sessionDirection(d)
	sending, takes := map[string]bool{}, map[string]bool{} // by kind
	offered := map[string][]string{}                       // by kind, the formats not taken
	for _, md := range d.MediaDescriptions {
		kind := md.MediaName.Media
		if decodable[kind] == nil || !sends(md, session) {
			continue
		}
		sending[kind] = true
		names, _ := formats(md)
		for _, pt := range md.MediaName.Formats {
			name := names[pt]
			if name == "" {
				name = "payload type " + pt // a static one, without a=rtpmap
			}
			if slices.Contains(decodable[kind], name) {
				takes[kind] = true
			} else if !slices.Contains(offered[kind], name) {
				offered[kind] = append(offered[kind], name)
			}
		}
	}
	for _, kind := range []string{"video", "audio"} {
		if sending[kind] && !takes[kind] {
			return fmt.Errorf("%w: it sends %s in no format mcu decodes (it offers %s; %s are taken)", ErrBadOffer, kind,
				strings.Join(offered[kind], ", "), strings.Join(decodable[kind], ", "))
		}
	}
	return nil
}

// h264Unsendable says why h264Sendable refuses an H.264 format's
// parameters.
func h264Unsendable(fmtp string) string {
	params := fmtpParams(fmtp)
	plid, hasPLID := params["profile-level-id"]
	switch _, err := codec.ParseH264Level(plid); {
	case params["packetization-mode"] != "1":
		return "is not packetization-mode=1 (the mix's pictures are sent in fragments)"
	case !hasPLID:
		// RFC 6184 8.1: Baseline level 1.0, 176x144 at 15 fps, for every
		// H.264 receiver of the room (the mix keeps to the lowest level).
		return "says no profile-level-id (which means level 1.0, too low to serve)"
	case err != nil:
		return fmt.Sprintf("has a profile-level-id mcu cannot read (%q)", plid)
	}
	return fmt.Sprintf("has a profile mcu does not encode for (profile-level-id %s: baseline, main, extended or high are taken)", plid)
}

// fmtpParams is an fmtp line's parameters, their names and values in
// lower case.
func fmtpParams(fmtp string) map[string]string {
	params := map[string]string{}
	for _, p := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[strings.ToLower(k)] = strings.ToLower(v)
	}
	return params
}

// checkDirections refuses an offer that leaves its endpoint nothing to
// do, before a room is opened for it: a viewer's (WHEP) in which the
// offerer receives in no audio or video section, a publisher's (WHIP) in
// which it sends in none, a participant's in which it does neither. Such
// an offer (a WHEP player given the WHIP address, or a WHIP encoder given
// the WHEP one) was answered 201: the player got nothing and stood in the
// mix as an empty tile, the publisher's pictures went nowhere.
func checkDirections(d *sdp.SessionDescription, kind Kind) error {
	session := sessionDirection(d)
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "audio" && md.MediaName.Media != "video" {
			continue
		}
		r, s := receives(md, session), sends(md, session)
		if kind == Viewer && r || kind == Publisher && s || kind == Participant && (r || s) {
			return nil
		}
	}
	switch kind {
	case Viewer:
		return fmt.Errorf("%w: it receives nothing (every audio and video section sendonly or inactive), and a WHEP viewer receives the mix", ErrBadOffer)
	case Publisher:
		return fmt.Errorf("%w: it sends nothing (every audio and video section recvonly or inactive), and a WHIP publisher is shown in the mix", ErrBadOffer)
	}
	return fmt.Errorf("%w: it neither sends nor receives (every audio and video section inactive)", ErrBadOffer)
}

// sendsVideo reports whether d sends video in some section.
func sendsVideo(d *sdp.SessionDescription) bool {
	session := sessionDirection(d)
	return slices.ContainsFunc(d.MediaDescriptions, func(md *sdp.MediaDescription) bool {
		return md.MediaName.Media == "video" && sends(md, session)
	})
}

// forPion rewrites offer, whose description d is, where pion would
// answer it wrongly (fillDirections, serverOpusParams), in d and in the
// text returned; an offer needing neither is returned as it is.
func forPion(d *sdp.SessionDescription, offer string) string {
	directions := fillDirections(d)
	bundle := bundleFirst(d)
	if opus := serverOpusParams(d); !directions && !opus && !bundle {
		return offer
	}
	text, err := d.Marshal()
	if err != nil {
		return offer
	}
	return string(text)
}

// bundleFirst gives an offer with no BUNDLE group (RFC 8843) one of its
// first section alone, and reports whether it did. pion (v4.2.20,
// generateMatchedSDP) takes the group attribute's value without asking
// whether there is one: an offer without a=group:BUNDLE (GStreamer's
// webrtcbin with its default bundle-policy=none, as simple-whip-client
// offers audio-only or video-only) became an empty group that matched no
// mid, and every section of the answer got port 0, rejected (RFC 3264 6):
// webrtcbin never began DTLS, and the server dropped the 201'd session
// after -peer-timeout. pion has one transport, with the first section's
// ICE and DTLS: that section is taken, the others stay rejected.
//
// pion reads only the first a=group line: a BUNDLE group after another
// (an LS group, RFC 5888) is moved before it, and the one given here goes
// before any other, else pion would take the other's mids as bundled.
func bundleFirst(d *sdp.SessionDescription) bool {
	isBundle := func(a sdp.Attribute) bool {
		return a.Key == "group" && (a.Value == "BUNDLE" || strings.HasPrefix(a.Value, "BUNDLE "))
	}
	firstGroup := slices.IndexFunc(d.Attributes, func(a sdp.Attribute) bool { return a.Key == "group" })
	if i := slices.IndexFunc(d.Attributes, isBundle); i >= 0 {
		if i == firstGroup {
			return false
		}
		a := d.Attributes[i]
		d.Attributes = slices.Insert(slices.Delete(d.Attributes, i, i+1), firstGroup, a)
		return true
	}
	if len(d.MediaDescriptions) == 0 {
		return false
	}
	mid, ok := d.MediaDescriptions[0].Attribute("mid")
	if !ok || mid == "" {
		return false // pion refuses an offer without mids anyway
	}
	a := sdp.NewAttribute("group", "BUNDLE "+mid)
	if firstGroup < 0 {
		d.Attributes = append(d.Attributes, a)
	} else {
		d.Attributes = slices.Insert(d.Attributes, firstGroup, a)
	}
	return true
}

// hasBundleGroup reports whether d has an a=group:BUNDLE.
func hasBundleGroup(d *sdp.SessionDescription) bool {
	return slices.ContainsFunc(d.Attributes, func(a sdp.Attribute) bool {
		return a.Key == "group" && (a.Value == "BUNDLE" || strings.HasPrefix(a.Value, "BUNDLE "))
	})
}

// withoutBundleGroup is answer without its a=group:BUNDLE lines: the
// group bundleFirst gave pion, which the offerer did not ask for.
func withoutBundleGroup(answer string) string {
	lines := strings.SplitAfter(answer, "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "a=group:BUNDLE") })
	return strings.Join(lines, "")
}

// fillDirections gives every audio and video section of d without a
// direction of its own the session's (sendrecv when the session names
// none either: RFC 8866 6.7), and reports whether it gave any. pion reads
// a section's direction from the section only, and leaves out of its
// answer one that names none: an offer naming no direction (valid SDP,
// sendrecv) was answered 201 with no media at all, a session that could
// never connect.
func fillDirections(d *sdp.SessionDescription) bool {
	session := sessionDirection(d)
	changed := false
	for _, md := range d.MediaDescriptions {
		if kind := md.MediaName.Media; kind != "audio" && kind != "video" {
			continue
		}
		if slices.ContainsFunc(md.Attributes, func(a sdp.Attribute) bool { return isDirection(a.Key) }) {
			continue
		}
		md.Attributes = append(md.Attributes, sdp.NewPropertyAttribute(session))
		changed = true
	}
	return changed
}

// serverOpusParams gives the Opus format of every audio section of d the
// server's own parameters (audioCodec's), which pion's answer then
// states, and reports whether it changed any. pion's answer repeats the
// offer's fmtp line as it is: Firefox offers stereo=1 (its wish to
// receive stereo), the answer said it back as the server's wish, and
// Firefox, which takes stereo=1 in an answer as leave to send stereo
// (JsepAudioCodecDescription::Negotiate: mForceMono = !stereo), encoded
// its mono microphone as two channels at twice the bitrate; an offer's
// maxaveragebitrate (a cap on what the offerer receives) came back as a
// cap on what it sends, and an offer with no useinbandfec=1 was answered
// without it, so its sender added no FEC. Opus parameters are
// declarative (RFC 7587 7.1), each side's own: the server decodes any the
// sender uses, and nothing else reads the offer's.
func serverOpusParams(d *sdp.SessionDescription) bool {
	changed := false
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "audio" {
			continue
		}
		names, fmtps := formats(md)
		for pt, name := range names {
			if name != "OPUS" || fmtps[pt] == audioCodec.SDPFmtpLine {
				continue
			}
			value := pt + " " + audioCodec.SDPFmtpLine
			found := false
			for i, a := range md.Attributes {
				if p, _, _ := strings.Cut(a.Value, " "); a.Key == "fmtp" && p == pt {
					md.Attributes[i].Value, found = value, true
				}
			}
			if !found {
				md.Attributes = append(md.Attributes, sdp.NewAttribute("fmtp", value))
			}
			changed = true
		}
	}
	return changed
}

// sessionDirection is the direction the session gives a section without
// one of its own (RFC 8866 6.7).
func sessionDirection(d *sdp.SessionDescription) string {
	session := "sendrecv"
	for _, a := range d.Attributes {
		if isDirection(a.Key) {
			session = a.Key
		}
	}
	return session
}

// formats reads a section's formats: by payload type, the encoding name
// (upper case) and the fmtp parameters.
func formats(md *sdp.MediaDescription) (names, fmtps map[string]string) {
	names, fmtps = map[string]string{}, map[string]string{}
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
	return names, fmtps
}

// receivesVideo tells whether md is a video section in which the offerer
// may receive (see receives).
func receivesVideo(md *sdp.MediaDescription, session string) bool {
	return md.MediaName.Media == "video" && receives(md, session)
}

// receives tells whether md is a section in which the offerer may
// receive: not rejected (port 0 without bundle-only), not sendonly or
// inactive, in its own direction or else the session's.
func receives(md *sdp.MediaDescription, session string) bool {
	dir := direction(md, session)
	return dir != "" && dir != "sendonly" && dir != "inactive"
}

// sends tells whether md is a section in which the offerer may send: not
// rejected, not recvonly or inactive (see receives).
func sends(md *sdp.MediaDescription, session string) bool {
	dir := direction(md, session)
	return dir != "" && dir != "recvonly" && dir != "inactive"
}

// direction is md's direction, its own or else the session's; "" when
// the section is rejected (port 0 without bundle-only).
func direction(md *sdp.MediaDescription, session string) string {
	if _, bundled := md.Attribute("bundle-only"); md.MediaName.Port.Value == 0 && !bundled {
		return ""
	}
	dir := session
	for _, a := range md.Attributes {
		if isDirection(a.Key) {
			dir = a.Key
		}
	}
	return dir
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
// exact profile. It returns the format's level too.
func h264Sendable(fmtp string) (codec.H264Level, bool) {
	params := fmtpParams(fmtp)
	plid := params["profile-level-id"]
	if params["packetization-mode"] != "1" {
		return 0, false
	}
	level, err := codec.ParseH264Level(plid)
	if err != nil {
		return 0, false
	}
	switch plid[:2] {
	case "42", "4d", "58", "64":
		return level, true
	}
	return 0, false
}
