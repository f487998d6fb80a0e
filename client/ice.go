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

	"mcu/internal/sdpfrag"
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
// returns the server's fragment and its ETag: none of either for a
// trickle, which keeps the session's (RFC 9725 4.3.2).
func (c *Client) Patch(ctx context.Context, ifMatch, frag string) (answer, etag string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.location, strings.NewReader(frag))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := httpClient.Do(req)
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
	frag, err := sdpfrag.Fragment(desc, true)
	if err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	return frag, nil
}

// MergeFragment is desc with the fragment's ICE credentials in place of
// its own, and the fragment's candidates in place of its own, in its
// first media section.
func MergeFragment(desc, frag string) (string, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(desc); err != nil {
		return "", fmt.Errorf("client: %w", err)
	}
	ufrag, pwd := sdpfrag.Credentials(frag)
	var cands []string
	for _, line := range strings.Split(frag, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\r"), "a=candidate:"); ok {
			cands = append(cands, v)
		}
	}
	if ufrag == "" || pwd == "" {
		return "", fmt.Errorf("client: the server's fragment has no ICE credentials: %q", frag)
	}
	d.Origin.SessionVersion++ // a changed description
	d.Attributes = sdpfrag.WithICE(d.Attributes, ufrag, pwd, cands, false, true)
	for i, md := range d.MediaDescriptions {
		md.Attributes = sdpfrag.WithICE(md.Attributes, ufrag, pwd, cands, i == 0, true)
	}
	out, err := d.Marshal()
	return string(out), err
}
