package room

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/internal/sdpfrag"
)

// A session's ICE after the join (RFC 9725 4.3): a client may send the
// candidates it gathers late (trickle), and may restart ICE when its
// network changed (a phone leaving Wi-Fi), keeping its place in the room.
// Both come as SDP fragments (RFC 8840). The session's ICE is named by an
// entity tag, which a restart changes: a trickle names the one it is for
// (If-Match), a restart asks for any ("*").

// iceFragment is what an SDP fragment (application/trickle-ice-sdpfrag)
// says: the ICE credentials, if any, and candidates with the media
// section (mid) each was listed under.
type iceFragment struct {
	ufrag, pwd string
	candidates []fragmentCandidate
	end        bool // a=end-of-candidates
}

type fragmentCandidate struct{ mid, value string }

// parseFragment reads an SDP fragment: session-level ICE attributes, and
// media sections (m= lines) each with its a=mid and candidates.
// Attributes it has no use for (ice-options, group, ...) are skipped.
func parseFragment(body string) (iceFragment, error) {
	var f iceFragment
	mid := ""
	for n, line := range strings.Split(body, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		key, value, _ := strings.Cut(line, ":")
		switch {
		case strings.HasPrefix(line, "m="):
			mid = ""
		case key == "a=mid":
			mid = value
		case key == "a=ice-ufrag":
			f.ufrag = value
		case key == "a=ice-pwd":
			f.pwd = value
		case key == "a=candidate":
			// One pion cannot read (a transport or type it does not
			// know) is ignored, as pion ignores it in an offer.
			if _, err := ice.UnmarshalCandidate(value); err == nil {
				f.candidates = append(f.candidates, fragmentCandidate{mid: mid, value: value})
			}
		case line == "a=end-of-candidates":
			f.end = true
		case len(line) < 2 || line[1] != '=':
			return f, fmt.Errorf("%w: line %d is not an SDP line", ErrBadFragment, n+1)
		}
	}
	if (f.ufrag == "") != (f.pwd == "") {
		return f, fmt.Errorf("%w: an ICE username fragment without a password, or the other way", ErrBadFragment)
	}
	if f.ufrag != "" && (!iceChars(f.ufrag, 4) || !iceChars(f.pwd, 22)) {
		return f, fmt.Errorf("%w: an ICE username fragment of 4 to 256 and a password of 22 to 256 letters, digits, '+' or '/' (RFC 8839)", ErrBadFragment)
	}
	return f, nil
}

// iceChars reports whether s is least to 256 ice-chars (RFC 8839 5.4).
func iceChars(s string, least int) bool {
	if len(s) < least || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// udpAddresses adds to addrs each UDP candidate of values, read as pion
// reads them (an empty foundation, any transport it takes for UDP, ...;
// one it cannot read it ignores), and told apart as pion tells them apart
// (Candidate.Equal): by address, type and related address. pion keeps and
// checks each candidate that differs in its related address alone, which
// is the client's free text: counted by address, any number of candidates
// aimed the server's checks at one address. The same candidate listed in
// several sections counts once.
func udpAddresses(addrs map[string]bool, values ...string) {
	for _, v := range values {
		if c, err := ice.UnmarshalCandidate(v); err == nil && c.NetworkType().IsUDP() {
			key := net.JoinHostPort(c.Address(), strconv.Itoa(c.Port())) + " " + c.Type().String()
			if ra := c.RelatedAddress(); ra != nil {
				key += " " + net.JoinHostPort(ra.Address, strconv.Itoa(ra.Port))
			}
			addrs[key] = true
		}
	}
}

// candidateValues lists the values of the candidate attributes in attrs.
func candidateValues(attrs []sdp.Attribute) []string {
	var vs []string
	for _, a := range attrs {
		if a.Key == "candidate" {
			vs = append(vs, a.Value)
		}
	}
	return vs
}

// PatchICE takes an SDP fragment for the ICE of the session whose Key is
// key (RFC 9725 4.3). With ifMatch "*" and new ICE credentials it restarts
// ICE: the connection is checked anew with the candidates given, the
// session (and its place in the room) staying as it was, and the answer
// is a fragment with the server's new credentials and every candidate
// gathered for them, and the new entity tag. With ifMatch the session's
// entity tag it adds the candidates given (trickle): no answer. Another
// tag is ErrICEMismatch (the client missed a restart), none
// ErrICEPrecondition.
func (m *Manager) PatchICE(ctx context.Context, roomName, key, ifMatch, body string) (answer, etag string, err error) {
	s, err := m.session(roomName, key)
	if err != nil {
		return "", "", err
	}
	f, err := parseFragment(body)
	if err != nil {
		return "", "", err
	}
	s.iceMu.Lock()
	defer s.iceMu.Unlock()
	if err := ctx.Err(); err != nil {
		return "", "", err // given up while another change went on
	}
	switch ifMatch = strings.TrimSpace(ifMatch); {
	case ifMatch == "":
		return "", "", ErrICEPrecondition
	case ifMatch == "*" || ifMatch == `"*"`:
		// "*" quoted as well: the WHIP drafts' example of a restart writes it
		// so, and clients copy it (the session's own tags are hex).
		if f.ufrag == "" {
			return "", "", fmt.Errorf("%w: an ICE restart needs the new a=ice-ufrag and a=ice-pwd", ErrBadFragment)
		}
		answer, err := m.restartICE(s, f)
		if err != nil {
			return "", "", err
		}
		s.etag = newETag()
		m.iceRestarts.Add(1)
		return answer, s.etag, nil
	case !etagMatches(ifMatch, s.etag):
		return "", "", ErrICEMismatch
	}
	if err := s.trickle(f); err != nil {
		return "", "", err
	}
	return "", s.etag, nil
}

// A session's ICE restarts: restartBurst at once, then one every
// restartEvery. Each aims the server's checks at up to
// maxOfferCandidates addresses of the client's choosing; a client whose
// network changed needs one (mcu.js tries again every 2 s while its
// connection stays down), where one that restarts as fast as it can send
// PATCHes would have the server check hundreds of addresses a second for
// it, and spend a negotiation on each.
const (
	restartBurst = 4
	restartEvery = time.Second
)

// allowRestart takes one of the session's ICE restarts at now, or
// reports that it has none left for now. s.iceMu must be held.
func (s *Session) allowRestart(now time.Time) bool {
	if s.restartAt.IsZero() {
		s.restartTokens = restartBurst
	} else {
		s.restartTokens = min(restartBurst, s.restartTokens+float64(now.Sub(s.restartAt))/float64(restartEvery))
	}
	s.restartAt = now
	if s.restartTokens < 1 {
		return false
	}
	s.restartTokens--
	return true
}

// newETag names an ICE session (a quoted random string).
func newETag() string { return `"` + randomHex(8) + `"` }

// etagMatches reports whether an If-Match value (a list of tags) names
// etag. Weak tags never match (RFC 9110 13.1.1).
func etagMatches(ifMatch, etag string) bool {
	for _, t := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(t) == etag {
			return true
		}
	}
	return false
}

// ICERestarts counts the sessions' ICE restarts so far (PatchICE).
func (m *Manager) ICERestarts() uint64 { return m.iceRestarts.Load() }

// ETag names the session's ICE now (see PatchICE).
func (s *Session) ETag() string {
	s.iceMu.Lock()
	defer s.iceMu.Unlock()
	return s.etag
}

// ending reports whether the session's peer connection has failed or
// closed: the session is on its way out, and takes no ICE change.
func (s *Session) ending() bool {
	return s.gone.Load() || s.pc.SignalingState() == webrtc.SignalingStateClosed
}

// trickle adds the fragment's candidates to the session's ICE: all of
// them, if with those it has they name at most maxOfferCandidates UDP
// addresses, or none. s.iceMu must be held.
func (s *Session) trickle(f iceFragment) error {
	remote := s.pc.RemoteDescription()
	if remote == nil || s.ending() {
		return ErrNotFound
	}
	if f.ufrag != "" {
		if ufrag, _ := sdpfrag.Credentials(remote.SDP); f.ufrag != ufrag {
			return fmt.Errorf("%w: its a=ice-ufrag is not the session's (a restart needs If-Match: *)", ErrBadFragment)
		}
	}
	if s.iceAddrs == nil {
		s.iceAddrs = map[string]bool{}
		// Parsed here: pion's description is pion's (Unmarshal would
		// write to it while pion reads it).
		var d sdp.SessionDescription
		if err := d.UnmarshalString(remote.SDP); err == nil {
			udpAddresses(s.iceAddrs, candidateValues(d.Attributes)...)
			for _, md := range d.MediaDescriptions {
				udpAddresses(s.iceAddrs, candidateValues(md.Attributes)...)
			}
		}
	}
	addrs := maps.Clone(s.iceAddrs)
	for _, c := range f.candidates {
		udpAddresses(addrs, c.value)
	}
	if len(addrs) > maxOfferCandidates {
		return fmt.Errorf("%w: ICE candidates at %d UDP addresses with those before, at most %d taken", ErrBadFragment, len(addrs), maxOfferCandidates)
	}
	s.iceAddrs = addrs
	for _, c := range f.candidates {
		// Only UDP ones go to pion: the server gathers UDP alone, so a
		// candidate of TCP is of no use, and pion keeps each one it is
		// given for the rest of the session, uncounted by the limit
		// above: a client trickling them again and again made the
		// server hold ever more (18,000 in 20 PATCHes, 21 MB).
		if cand, err := ice.UnmarshalCandidate(c.value); err != nil || !cand.NetworkType().IsUDP() {
			continue
		}
		mid := c.mid
		init := webrtc.ICECandidateInit{Candidate: "candidate:" + c.value}
		if mid != "" {
			init.SDPMid = &mid
		}
		if err := s.pc.AddICECandidate(init); err != nil {
			if s.ending() {
				return ErrNotFound // closed meanwhile
			}
			return fmt.Errorf("%w: %v", ErrBadFragment, err)
		}
	}
	return nil
}

// restartICE renegotiates the session with the client's last offer under
// the fragment's credentials and candidates, and answers with the
// server's new ones. Once pion has taken the new offer its ICE has
// restarted: the restart then completes whatever the request does, and a
// session whose answer fails after that is ended (its ICE cannot go
// back). s.iceMu must be held.
func (m *Manager) restartICE(s *Session, f iceFragment) (string, error) {
	remote := s.pc.RemoteDescription()
	if remote == nil || s.ending() {
		return "", ErrNotFound
	}
	var d sdp.SessionDescription // pion's own is not to be written (Unmarshal)
	if err := d.UnmarshalString(remote.SDP); err != nil {
		return "", fmt.Errorf("room: the session's offer: %w", err)
	}
	if ufrag, pwd := sdpfrag.Credentials(remote.SDP); ufrag == f.ufrag || pwd == f.pwd {
		return "", fmt.Errorf("%w: an ICE restart needs a new username fragment and a new password (RFC 8839 4.4.1.1.1)", ErrBadFragment)
	}
	addrs := map[string]bool{}
	for _, c := range f.candidates {
		udpAddresses(addrs, c.value)
	}
	if len(addrs) > maxOfferCandidates {
		return "", fmt.Errorf("%w: ICE candidates at %d UDP addresses, at most %d taken", ErrBadFragment, len(addrs), maxOfferCandidates)
	}
	if !s.allowRestart(time.Now()) { // one that would start
		return "", ErrRestartTooSoon
	}
	candidates := make([]string, len(f.candidates))
	for i, c := range f.candidates {
		candidates[i] = c.value
	}
	d.Origin.SessionVersion++
	d.Attributes = sdpfrag.WithICE(d.Attributes, f.ufrag, f.pwd, candidates, false, f.end)
	for i, md := range d.MediaDescriptions {
		md.Attributes = sdpfrag.WithICE(md.Attributes, f.ufrag, f.pwd, candidates, i == 0, f.end)
	}
	text, err := d.Marshal()
	if err != nil {
		return "", fmt.Errorf("room: the restart's offer: %w", err)
	}
	fail := func(err error) (string, error) {
		if errors.Is(err, webrtc.ErrConnectionClosed) || s.ending() {
			return "", ErrNotFound
		}
		s.room.log.Warn("ICE restart failed; ending the session", "session", s.ID, "err", err)
		go m.End(s.room.name, s.ID)
		return "", fmt.Errorf("room: the ICE restart failed, and the session with it: %w", err)
	}
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(text)}); err != nil {
		if s.pc.SignalingState() != webrtc.SignalingStateStable {
			return fail(err) // refused part way: pion may have restarted its ICE
		}
		if errors.Is(err, webrtc.ErrConnectionClosed) || s.ending() {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("%w: %v", ErrBadFragment, err)
	}
	s.iceAddrs = addrs
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(s.pc)
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-time.After(m.cfg.GatherTimeout):
		s.room.log.Warn("ICE gathering timed out on a restart; answering with the candidates so far (a STUN or TURN server did not answer)", "session", s.ID, "ice_servers", m.iceServerURLs())
	}
	s.room.log.Info("ICE restarted", "session", s.ID, "candidates", len(f.candidates))
	// The answer's first section holds every candidate (bundled).
	frag, err := sdpfrag.Fragment(candidatesInOrder(s.pc.LocalDescription().SDP), false)
	if err != nil {
		return "", fmt.Errorf("room: the restart's answer: %w", err)
	}
	return frag, nil
}
