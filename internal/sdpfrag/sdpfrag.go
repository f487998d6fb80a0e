// Package sdpfrag rewrites the ICE of SDP descriptions for an ICE restart
// through SDP fragments (RFC 8840, RFC 9725 4.3): the server (package
// room) puts a client's new credentials and candidates into the client's
// offer, and mcu's Go client puts the server's into its answer, the same
// way.
package sdpfrag

import (
	"errors"
	"strings"

	"github.com/pion/sdp/v3"
)

// Credentials reads the first ICE username fragment and password of a
// description or fragment, session-level or in a media section.
func Credentials(desc string) (ufrag, pwd string) {
	for _, line := range strings.Split(desc, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok && ufrag == "" {
			ufrag = v
		}
		if v, ok := strings.CutPrefix(line, "a=ice-pwd:"); ok && pwd == "" {
			pwd = v
		}
	}
	return ufrag, pwd
}

// WithICE is attrs with ufrag and pwd in place of the credentials they
// had, and none of their candidates. To the first media section's (first:
// the media is bundled on its transport) it adds candidates, and with end
// a=end-of-candidates after them.
func WithICE(attrs []sdp.Attribute, ufrag, pwd string, candidates []string, first, end bool) []sdp.Attribute {
	var out []sdp.Attribute
	for _, a := range attrs {
		switch a.Key {
		case "ice-ufrag":
			a.Value = ufrag
		case "ice-pwd":
			a.Value = pwd
		case "candidate", "end-of-candidates":
			continue
		}
		out = append(out, a)
	}
	if first {
		for _, c := range candidates {
			out = append(out, sdp.NewAttribute("candidate", c))
		}
		if end {
			out = append(out, sdp.NewPropertyAttribute("end-of-candidates"))
		}
	}
	return out
}

// Fragment is a description's ICE as a fragment: its credentials, its
// first media section's line and mid, and that section's candidates (or,
// with everySection, every section's), ended by a=end-of-candidates.
func Fragment(desc string, everySection bool) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		return "", err
	}
	if len(d.MediaDescriptions) == 0 {
		return "", errors.New("no media section")
	}
	ufrag, pwd := Credentials(desc)
	var b strings.Builder
	b.WriteString("a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\n")
	first := d.MediaDescriptions[0]
	mid, _ := first.Attribute("mid")
	b.WriteString("m=" + first.MediaName.String() + "\r\na=mid:" + mid + "\r\n")
	sections := d.MediaDescriptions[:1]
	if everySection {
		sections = d.MediaDescriptions
	}
	for _, md := range sections {
		for _, a := range md.Attributes {
			if a.Key == "candidate" {
				b.WriteString("a=candidate:" + a.Value + "\r\n")
			}
		}
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String(), nil
}
