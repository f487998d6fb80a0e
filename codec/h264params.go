package codec

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// H264ParamSets keeps the last SPS and PPS of an H.264 stream and puts
// them back before an IDR picture that comes without them. A decoder that
// starts afresh (after an error, or a stream beyond the profile) has
// forgotten them, and a sender that gives them once (in-band with its
// first keyframe, or only out of band, in the SDP's sprop-parameter-sets)
// would otherwise never be decoded again. The zero value is ready to use.
type H264ParamSets struct {
	sps, pps []byte // NAL units, header byte first
}

var startCode = []byte{0, 0, 1}

// SetFromFmtp takes the parameter sets an SDP fmtp line gives
// (sprop-parameter-sets, base64 NAL units separated by commas); anything
// else in it is ignored, as are sets that do not decode.
func (p *H264ParamSets) SetFromFmtp(fmtp string) {
	for _, param := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
		if !strings.EqualFold(k, "sprop-parameter-sets") {
			continue
		}
		for _, b64 := range strings.Split(v, ",") {
			if nal, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64)); err == nil {
				p.keep(nal)
			}
		}
	}
}

// keep remembers nal if it is an SPS or a PPS.
func (p *H264ParamSets) keep(nal []byte) {
	if len(nal) < 2 {
		return
	}
	switch nal[0] & 0x1f {
	case 7:
		p.sps = append(p.sps[:0], nal...)
	case 8:
		p.pps = append(p.pps[:0], nal...)
	}
}

// Complete remembers the SPS and PPS of au, an Annex B access unit, and
// returns au with the remembered ones it lacks put before its own
// parameter sets and slices (after a delimiter or SEI), SPS first, when
// it is an IDR picture (a new slice; au is not changed). It reads au only
// up to its first slice.
func (p *H264ParamSets) Complete(au []byte) []byte {
	var hasSPS, hasPPS bool
	slice, at := -1, -1 // at: where the first parameter set or slice starts, start code included
	for i := bytes.Index(au, startCode); i >= 0; {
		nal := i + len(startCode)
		if nal >= len(au) {
			break
		}
		t := au[nal] & 0x1f
		if at < 0 && (t >= 1 && t <= 5 || t == 7 || t == 8) {
			at = i
			if at > 0 && au[at-1] == 0 { // a 4-byte start code
				at--
			}
		}
		if t >= 1 && t <= 5 {
			slice = int(t)
			break
		}
		next := bytes.Index(au[nal:], startCode)
		end := len(au)
		if next >= 0 {
			end = nal + next
		}
		unit := bytes.TrimRight(au[nal:end], "\x00") // trailing zeros, and a 4-byte start code's first
		switch {
		case len(unit) > 0 && unit[0]&0x1f == 7:
			hasSPS = true
		case len(unit) > 0 && unit[0]&0x1f == 8:
			hasPPS = true
		}
		p.keep(unit)
		if next < 0 {
			break
		}
		i = nal + next
	}
	if slice != 5 || hasSPS && hasPPS || p.sps == nil || p.pps == nil {
		return au
	}
	out := make([]byte, 0, len(au)+len(p.sps)+len(p.pps)+8)
	out = append(out, au[:at]...)
	if !hasSPS {
		out = append(append(out, 0, 0, 0, 1), p.sps...)
	}
	if !hasPPS {
		out = append(append(out, 0, 0, 0, 1), p.pps...)
	}
	return append(out, au[at:]...)
}
