package codec

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
)

// H264ParamSets keeps an H.264 stream's parameter sets, each SPS and PPS by
// its id, and puts them back before an IDR picture that comes without
// them. A decoder that starts afresh (after an error, or a stream beyond
// the profile) has forgotten them, and a sender that gives them once
// (in-band with its first keyframe, or only out of band, in the SDP's
// sprop-parameter-sets) would otherwise never be decoded again. Only an
// SPS that fits the live profile is kept (see FitsLiveProfile). The zero
// value is ready to use.
type H264ParamSets struct {
	sps, pps []paramSet
}

type paramSet struct {
	id  uint32
	nal []byte // header byte first
}

// Kept at most: a stream uses one or two of each; a sender cycling ids
// must not grow the memory. Longer NAL units are not parameter sets a
// camera sends.
const (
	maxSPS, maxPPS = 4, 8
	maxParamSet    = 1024
)

var startCode = []byte{0, 0, 1}

// Reset forgets every parameter set.
func (p *H264ParamSets) Reset() { p.sps, p.pps = nil, nil }

// HasSPS reports whether an SPS is kept.
func (p *H264ParamSets) HasSPS() bool { return len(p.sps) > 0 }

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

// keep remembers nal if it is an SPS that fits the live profile, or a PPS,
// in place of the one of the same id (none longer than maxParamSet), and
// returns its id, kept or not (ok false for anything else, or a set too
// short to say it).
func (p *H264ParamSets) keep(nal []byte) (id uint32, ok bool) {
	if len(nal) < 2 {
		return 0, false
	}
	r := bitReader{b: nal[1:], rbsp: true}
	switch nal[0] & 0x1f {
	case 7:
		r.bits(24) // profile_idc, constraint flags, level_idc
		if id = r.ue(); r.err {
			return 0, false
		}
		if sps, err := ParseH264SPS(nal); err == nil && sps.fitsLive() && len(nal) <= maxParamSet {
			p.sps = keepSet(p.sps, paramSet{id, slices.Clone(nal)}, maxSPS)
		}
		return id, true
	case 8:
		if id = r.ue(); r.err {
			return 0, false
		}
		if len(nal) <= maxParamSet {
			p.pps = keepSet(p.pps, paramSet{id, slices.Clone(nal)}, maxPPS)
		}
		return id, true
	}
	return 0, false
}

// keepSet puts s in sets, in place of the one of its id, or last, dropping
// the first when there would be more than most.
func keepSet(sets []paramSet, s paramSet, most int) []paramSet {
	sets = slices.DeleteFunc(sets, func(o paramSet) bool { return o.id == s.id })
	if len(sets) == most {
		sets = slices.Delete(sets, 0, 1)
	}
	return append(sets, s)
}

// Complete remembers the parameter sets of au, an Annex B access unit, and
// returns au with the remembered ones of ids it lacks put in when it is an
// IDR picture or a recovery point (a new slice; au is not changed): SPS before its own
// parameter sets and slices (after a delimiter or SEI), PPS before its
// first slice, after any SPS. It reads au only up to its first slice.
func (p *H264ParamSets) Complete(au []byte) []byte {
	var spsIDs, ppsIDs []uint32         // the access unit's own
	slice, first, sliceAt := -1, -1, -1 // where the first parameter set or slice, and the first slice, start
	recovery := false                   // a recovery point SEI came before the slice
	for i := bytes.Index(au, startCode); i >= 0; {
		nal := i + len(startCode)
		if nal >= len(au) {
			break
		}
		at := i
		if at > 0 && au[at-1] == 0 { // a 4-byte start code
			at--
		}
		t := au[nal] & 0x1f
		if first < 0 && (t >= 1 && t <= 5 || t == 7 || t == 8) {
			first = at
		}
		if t >= 1 && t <= 5 {
			slice, sliceAt = int(t), at
			break
		}
		next := bytes.Index(au[nal:], startCode)
		end := len(au)
		if next >= 0 {
			end = nal + next
		}
		unit := bytes.TrimRight(au[nal:end], "\x00") // trailing zeros, and a 4-byte start code's first
		if t == 6 && len(unit) > 1 {
			_, found := seiRecoveryPoint(unit[1:])
			recovery = recovery || found
		}
		if id, ok := p.keep(unit); ok && t == 7 {
			spsIDs = append(spsIDs, id)
		} else if ok {
			ppsIDs = append(ppsIDs, id)
		}
		if next < 0 {
			break
		}
		i = nal + next
	}
	if slice != 5 && !(recovery && slice == 1) {
		return au
	}
	// The kept sets of ids the access unit lacks.
	missing := func(sets []paramSet, own []uint32) []paramSet {
		var add []paramSet
		for _, s := range sets {
			if !slices.Contains(own, s.id) {
				add = append(add, s)
			}
		}
		return add
	}
	addSPS, addPPS := missing(p.sps, spsIDs), missing(p.pps, ppsIDs)
	if len(addSPS) == 0 && len(addPPS) == 0 {
		return au
	}
	size := len(au)
	for _, s := range slices.Concat(addSPS, addPPS) {
		size += 4 + len(s.nal)
	}
	out := append(make([]byte, 0, size), au[:first]...)
	for _, s := range addSPS {
		out = append(append(out, 0, 0, 0, 1), s.nal...)
	}
	out = append(out, au[first:sliceAt]...)
	for _, s := range addPPS {
		out = append(append(out, 0, 0, 0, 1), s.nal...)
	}
	return append(out, au[sliceAt:]...)
}
