package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// RestartICE restarts the connection's ICE through the server (RFC 9725
// 4.3): new credentials and candidates are offered in an SDP fragment
// PATCHed to the session, and the server's answer fragment replaces its
// credentials and candidates in the description the client holds. The
// session stays as it was. It returns the ICE session's new entity tag.
//
// The offer restarts the client's ICE at once: on failure the connection
// stays down until a restart succeeds (the client may try again).
func (c *Client) RestartICE(ctx context.Context) (etag string, err error) {
	offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return "", fmt.Errorf("client: ICE restart offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("client: ICE restart offer: %w", err)
	}
	defer func() {
		// Back to stable, so that the next restart may offer: pion takes
		// no rollback of a local offer, but the last answer again.
		if err != nil && c.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
			if last := c.pc.CurrentRemoteDescription(); last != nil {
				c.pc.SetRemoteDescription(*last)
			}
		}
	}()
	select {
	case <-gathered:
	case <-time.After(gatherTimeout):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	frag, err := Fragment(c.pc.LocalDescription().SDP)
	if err != nil {
		return "", err
	}
	answer, etag, err := c.Patch(ctx, "*", frag)
	if err != nil {
		return "", err
	}
	sdpAnswer, err := MergeFragment(c.pc.RemoteDescription().SDP, answer)
	if err != nil {
		return "", err
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdpAnswer}); err != nil {
		return "", fmt.Errorf("client: ICE restart answer: %w", err)
	}
	c.etagMu.Lock()
	c.etag = etag
	c.etagMu.Unlock()
	return etag, nil
}

// gatherTimeout bounds the wait for a restart's candidates: those gathered
// by then are sent.
const gatherTimeout = 5 * time.Second

// Patch sends an SDP fragment to the session with If-Match ifMatch and
// returns the server's fragment (none for a trickle) and the ETag.
func (c *Client) Patch(ctx context.Context, ifMatch, frag string) (answer, etag string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.location, strings.NewReader(frag))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return "", "", &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	}
	return string(body), resp.Header.Get("ETag"), nil
}

// Fragment is the SDP fragment (RFC 8840) of a description's ICE: its
// credentials, and its first media section's line and mid with every
// candidate of the description.
func Fragment(desc string) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	if len(d.MediaDescriptions) == 0 {
		return "", fmt.Errorf("client: no media section")
	}
	ufrag, pwd := credentials(&d)
	var b strings.Builder
	b.WriteString("a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\n")
	md := d.MediaDescriptions[0]
	mid, _ := md.Attribute("mid")
	b.WriteString("m=" + md.MediaName.String() + "\r\na=mid:" + mid + "\r\n")
	for _, m := range d.MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key == "candidate" {
				b.WriteString("a=candidate:" + a.Value + "\r\n")
			}
		}
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String(), nil
}

// credentials are a description's first ICE username fragment and
// password, session-level or in a media section.
func credentials(d *sdp.SessionDescription) (ufrag, pwd string) {
	ufrag, _ = d.Attribute("ice-ufrag")
	pwd, _ = d.Attribute("ice-pwd")
	for _, md := range d.MediaDescriptions {
		if v, ok := md.Attribute("ice-ufrag"); ok && ufrag == "" {
			ufrag = v
		}
		if v, ok := md.Attribute("ice-pwd"); ok && pwd == "" {
			pwd = v
		}
	}
	return ufrag, pwd
}

// MergeFragment is desc with the fragment's ICE credentials in place of
// its own, and the fragment's candidates in place of its own, in its
// first media section.
func MergeFragment(desc, frag string) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	var ufrag, pwd string
	var cands []string
	for _, line := range strings.Split(frag, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if v, ok := strings.CutPrefix(line, "a=ice-ufrag:"); ok {
			ufrag = v
		} else if v, ok := strings.CutPrefix(line, "a=ice-pwd:"); ok {
			pwd = v
		} else if v, ok := strings.CutPrefix(line, "a=candidate:"); ok {
			cands = append(cands, v)
		}
	}
	if ufrag == "" || pwd == "" {
		return "", fmt.Errorf("client: the server's fragment has no ICE credentials: %q", frag)
	}
	swap := func(attrs []sdp.Attribute, first bool) []sdp.Attribute {
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
			for _, v := range cands {
				out = append(out, sdp.NewAttribute("candidate", v))
			}
			out = append(out, sdp.NewPropertyAttribute("end-of-candidates"))
		}
		return out
	}
	d.Origin.SessionVersion++ // a changed description
	d.Attributes = swap(d.Attributes, false)
	for i, md := range d.MediaDescriptions {
		md.Attributes = swap(md.Attributes, i == 0)
	}
	out, err := d.Marshal()
	return string(out), err
}
