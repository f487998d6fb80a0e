package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// Endpoint is how a client enters a room.
type Endpoint string

// The ways in.
const (
	Join Endpoint = "join" // shown, receives the mix minus itself
	WHIP Endpoint = "whip" // shown, receives nothing
	WHEP Endpoint = "whep" // receives the full mix, not shown
)

// Options configure a client.
type Options struct {
	Server   string // base URL, e.g. http://127.0.0.1:8080
	Room     string
	Name     string
	Endpoint Endpoint
	// Content publishes the video as shared content, a screen (WHIP
	// only: "?content=1"), shown large in the speaker layout.
	Content bool
	// Owner, for Content, is the Key of the sharer's own session (a
	// join's): they do not hear the share's sound, and it ends when they
	// leave ("&owner=").
	Owner string
	// Video and Audio are files sent in a loop (either may be empty; a file
	// holding both may be given as both).
	Video, Audio string
	// Decode decodes the received video (costly); otherwise frames are only
	// counted from RTP.
	Decode bool
	// FreezeGap is the pause between two pictures of the mix counted as
	// a freeze (0: FreezeGap).
	FreezeGap time.Duration
	// KeepAudio keeps this much of the received sound, decoded (0: none).
	KeepAudio time.Duration
	// LoseVideo throws away every nth packet of the received video (0:
	// none) before the client's reports count it, as on a congested link:
	// the server sees the loss in the reports and lowers the mix's
	// bitrate. For load tests; a receiver that decodes sees broken
	// pictures.
	LoseVideo int
	// VideoLink passes the received video through a link of this many
	// bits per second (0: none): what would overflow its queue (150 ms of
	// it) is lost, as behind a bottleneck, before the client's reports
	// count it. For load tests, as LoseVideo, but the loss follows the
	// mix's rate.
	VideoLink int
	// Token is sent as "Authorization: Bearer Token" with the join, for a
	// server started with -auth-token.
	Token string
	// H264 has the client receive the mix in H.264 (packetization mode
	// 1, constrained baseline), as a player or device with nothing but an
	// H.264 decoder. A client that sends H.264, or no video, offers H.264
	// alone; a participant (Join) that sends another format sends it on a
	// section of its own and takes the mix on another that offers H.264
	// alone (as mcu.js does with videoCodec "h264"). A WHIP publisher with
	// H264 set must send H.264.
	H264 bool
	// H264Level is the H.264 level the client says it decodes up to
	// (0: DefaultH264Level).
	H264Level codec.H264Level
}

// DefaultH264Level is the H.264 level a client says it decodes up to
// unless told: 3.1, what browsers say.
const DefaultH264Level codec.H264Level = 31

// h264Feedback is what a client's H.264 formats ask for: what a browser's do.
var h264Feedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}

// h264Mix are the formats a client with H264 set takes the mix in on a
// section of its own: constrained baseline and baseline, mode 1, of level
// l (0: DefaultH264Level).
func h264Mix(l codec.H264Level) []webrtc.RTPCodecParameters {
	if l == 0 {
		l = DefaultH264Level
	}
	idc, set3 := int(l), 0
	if l == codec.H264Level1b { // level_idc 11 with constraint_set3
		idc, set3 = 11, 0x10
	}
	var formats []webrtc.RTPCodecParameters
	for _, flags := range []int{0xe0, 0} { // constrained baseline, baseline
		plid := fmt.Sprintf("42%02x%02x", flags|set3, idc)
		formats = append(formats, webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + plid, RTCPFeedback: h264Feedback}})
	}
	return formats
}

// splitsVideo tells whether a client with opts sends its video and takes
// the mix on two sections: it wants the mix in H.264 and sends another
// format. A publisher that wants H.264 alone and sends another format is
// refused.
func splitsVideo(opts Options) (bool, error) {
	if !opts.H264 || (opts.Endpoint != Join && opts.Endpoint != WHIP) || opts.Video == "" {
		return false, nil
	}
	in, err := codec.OpenInput(opts.Video)
	if err != nil {
		return false, err
	}
	defer in.Close()
	if in.Video() == nil || in.Video().VideoCodec == codec.H264 {
		return false, nil // the sender says why not, or offers H.264 alone
	}
	if opts.Endpoint == WHIP {
		return false, fmt.Errorf("client: %s is %v: a WHIP publisher with H264 set sends H.264 alone", opts.Video, in.Video().VideoCodec)
	}
	return true, nil
}

// h264Only registers what a client with H264 set offers: H.264 for video,
// Opus for audio; its H.264 says level (0: DefaultH264Level).
func h264Only(m *webrtc.MediaEngine, level codec.H264Level) error {
	h := h264Mix(level)[0]
	h.PayloadType = 102
	if err := m.RegisterCodec(h, webrtc.RTPCodecTypeVideo); err != nil {
		return err
	}
	return m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}, webrtc.RTPCodecTypeAudio)
}

// interceptors registers pion's default interceptors, as a browser has
// them, with loseVideo (lose > 0) and capVideo (link > 0) between the NACK
// generator and the rest:
// the reports, and so the server, see the loss, while the generator sees
// every packet and asks for none of those dropped (their resends would be
// refused as replays by SRTP, which saw the first copy).
func interceptors(m *webrtc.MediaEngine, lose, link int, hold *holdAudio) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	// The first added is the last to see a packet sent: nearest the wire.
	reg.Add(hold)
	// A chain hands a packet read to its interceptors in the order they
	// were added.
	if err := webrtc.ConfigureNack(m, reg); err != nil {
		return nil, err
	}
	if lose > 0 {
		reg.Add(&loseVideo{n: lose})
	}
	if link > 0 {
		reg.Add(&capVideo{bps: link, now: time.Now})
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureStatsInterceptor(reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return nil, err
	}
	// Number what we send for transport-cc, as browsers do, so that the
	// server does the same work for us as for them.
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// Client is one connected participant.
type Client struct {
	opts      Options
	pc        *webrtc.PeerConnection
	split     bool // its video sent and the mix received on two sections (splitsVideo)
	location  string
	answer    string
	connected chan struct{} // closed once media can flow
	ended     chan struct{} // closed once the connection has failed or closed
	endState  webrtc.PeerConnectionState
	connOnce  sync.Once // closes connected
	endOnce   sync.Once // closes ended
	joined    time.Time
	cancel    context.CancelFunc
	recv      receiver
	hold      *holdAudio

	// wg counts the client's goroutines. pion calls OnTrack from a
	// goroutine of its own, so the track readers are added under wgMu,
	// and not once Close has begun waiting.
	wgMu   sync.Mutex
	closed bool
	wg     sync.WaitGroup

	errMu sync.Mutex
	err   error // first sending error

	etagMu sync.Mutex
	etag   string // the session's ICE (its ETag)
}

// Connect joins the room and starts sending and receiving.
func Connect(ctx context.Context, opts Options) (*Client, error) {
	if opts.Endpoint == "" {
		opts.Endpoint = Join
	}
	if opts.Content && opts.Endpoint != WHIP {
		// A join would be a camera's tile, without a word.
		return nil, fmt.Errorf("client: Content shares a screen as a WHIP publish (Endpoint %q), not as %q", WHIP, opts.Endpoint)
	}
	if opts.Owner != "" && !opts.Content {
		return nil, errors.New("client: only a share (Content) has an Owner")
	}
	if opts.H264Level != 0 && !opts.H264Level.Valid() {
		return nil, fmt.Errorf("client: H.264 level %d is none of the standard's (9 for 1b, 10 for 1.0 ... 62 for 6.2)", opts.H264Level)
	}
	split, err := splitsVideo(opts)
	if err != nil {
		return nil, err
	}
	m := &webrtc.MediaEngine{}
	register := m.RegisterDefaultCodecs
	if opts.H264 && !split {
		register = func() error { return h264Only(m, opts.H264Level) }
	}
	if err := register(); err != nil {
		return nil, err
	}
	hold := &holdAudio{}
	reg, err := interceptors(m, opts.LoseVideo, opts.VideoLink, hold)
	if err != nil {
		return nil, err
	}
	s := webrtc.SettingEngine{}
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// The mix's resent packets come in its stream, behind those sent
	// since (a keyframe's): taken up to 1024 back, as a browser does
	// (pion's SRTP refuses one 64 behind as a replay).
	s.SetSRTPReplayProtectionWindow(1024)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	c := &Client{opts: opts, pc: pc, split: split, connected: make(chan struct{}), ended: make(chan struct{}), hold: hold}
	c.recv.init(opts)
	pc.OnConnectionStateChange(c.stateChange)
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	fail := func(err error) (*Client, error) {
		c.Close() // cancels runCtx too
		if c.location != "" {
			// The server made the session: end it, or its tile stays
			// until the server's ICE timeouts.
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			c.Delete(dctx)
			dcancel()
		}
		return nil, err
	}
	if opts.Endpoint != WHEP {
		if err := c.addSender(runCtx, opts.Video, codec.Video); err != nil {
			return fail(err)
		}
		if err := c.addSender(runCtx, opts.Audio, codec.Audio); err != nil {
			return fail(err)
		}
	}
	if opts.Endpoint != WHIP {
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			mixSection := split && kind == webrtc.RTPCodecTypeVideo
			if opts.Endpoint == Join && c.sending(kind) && !mixSection {
				continue // the sender's transceiver is sendrecv
			}
			tr, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
			if err != nil {
				return fail(err)
			}
			if mixSection {
				if err := tr.SetCodecPreferences(h264Mix(opts.H264Level)); err != nil {
					return fail(fmt.Errorf("client: the mix's section: %w", err))
				}
			}
		}
		pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
			c.wgMu.Lock()
			defer c.wgMu.Unlock()
			if c.closed {
				return // the connection is closed: its reads would end at once
			}
			c.wg.Add(2)
			go func() { defer c.wg.Done(); c.recv.read(c, t) }()
			go func() { defer c.wg.Done(); c.recv.readRTCP(r) }()
		})
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	// The join starts when the offer is posted: the server's work to answer
	// (its peer, its candidates) is part of the wait for the first picture.
	c.joined = time.Now()
	c.recv.setJoined(c.joined)
	answer, location, etag, err := c.post(ctx, pc.LocalDescription().SDP)
	if err != nil {
		return fail(err)
	}
	c.location, c.answer, c.etag = location, answer, etag
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return fail(fmt.Errorf("client: answer: %w", err))
	}
	return c, nil
}

// sending reports whether a track of kind is sent (so Join uses sendrecv).
func (c *Client) sending(kind webrtc.RTPCodecType) bool {
	if kind == webrtc.RTPCodecTypeVideo {
		return c.opts.Video != ""
	}
	return c.opts.Audio != ""
}

func (c *Client) addSender(ctx context.Context, path string, kind codec.MediaKind) error {
	if path == "" {
		return nil
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		return err
	}
	var capability webrtc.RTPCodecCapability
	switch {
	case kind == codec.Video && in.Video() != nil:
		switch in.Video().VideoCodec {
		case codec.VP8:
			capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
		case codec.VP9:
			capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}
		case codec.AV1:
			capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000}
		case codec.H264:
			capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
				SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
		}
	case kind == codec.Audio && in.Audio() != nil:
		capability = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	default:
		in.Close()
		return fmt.Errorf("client: %s has no %v stream", path, kind)
	}
	in.Close()
	id := "video"
	if kind == codec.Audio {
		id = "audio"
	}
	track, err := webrtc.NewTrackLocalStaticSample(capability, id, "client-"+c.opts.Name)
	if err != nil {
		return err
	}
	var sender *webrtc.RTPSender
	if c.opts.Endpoint == WHIP || (c.split && kind == codec.Video) {
		tr, err := c.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return err
		}
		sender = tr.Sender()
	} else if sender, err = c.pc.AddTrack(track); err != nil {
		return err
	}
	// Sound beside a picture loops with it, as a camera's and a
	// microphone's keep together; the picture's length is read now, not
	// once connected, lest the sound start that much after it.
	var period time.Duration
	if kind == codec.Audio && c.opts.Video != "" {
		if period, err = streamLength(ctx, c.opts.Video, codec.Video); err != nil {
			return err
		}
	}
	c.wg.Add(2)
	go func() {
		defer c.wg.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				switch p.(type) {
				case *rtcp.PictureLossIndication:
					c.recv.plis.Add(1)
				case *rtcp.TransportLayerCC:
					c.recv.feedback.Add(1)
				}
			}
		}
	}()
	go func() {
		defer c.wg.Done()
		// Like a browser, start sending once connected: what is written
		// before has nowhere to go, and the first picture must be a keyframe.
		select {
		case <-c.connected:
		case <-ctx.Done():
			return
		}
		err := loop(ctx, path, kind, track, period)
		if err != nil && !errors.Is(err, context.Canceled) {
			c.errMu.Lock()
			c.err = errors.Join(c.err, err)
			c.errMu.Unlock()
		}
	}()
	return nil
}

// post sends the offer and returns the answer, the session URL and the
// ETag of its ICE.
func (c *Client) post(ctx context.Context, offer string) (answer, location, etag string, err error) {
	var path string
	switch c.opts.Endpoint {
	case Join:
		path = "/rooms/" + url.PathEscape(c.opts.Room) + "/join?name=" + url.QueryEscape(c.opts.Name)
	case WHIP, WHEP:
		path = "/" + string(c.opts.Endpoint) + "/" + url.PathEscape(c.opts.Room)
		q := url.Values{}
		if c.opts.Name != "" {
			q.Set("name", c.opts.Name)
		}
		if c.opts.Content {
			q.Set("content", "1")
		}
		if c.opts.Owner != "" {
			q.Set("owner", c.opts.Owner)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.opts.Server, "/")+path, strings.NewReader(offer))
	if err != nil {
		return "", "", "", err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", "", "", &StatusError{Code: resp.StatusCode, Body: strings.TrimSpace(string(body))}
	}
	loc, err := resp.Location()
	if err != nil {
		return "", "", "", fmt.Errorf("client: no Location: %w", err)
	}
	return string(body), loc.String(), resp.Header.Get("ETag"), nil
}

// httpClient follows a redirect that keeps the request as it was (307,
// 308) and refuses one that would turn it into a GET (301, 302, 303: the
// offer lost, the server's 405 reported instead), naming where it goes.
var httpClient = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("client: stopped after 10 redirects")
	}
	if first := via[0]; req.Method != first.Method {
		code := 0
		if req.Response != nil {
			code = req.Response.StatusCode
		}
		return fmt.Errorf("client: the server redirects (HTTP %d) to %s, where a %s becomes a %s: give that address", code, req.URL, first.Method, req.Method)
	}
	return nil
}}

// StatusError is a refused join.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string { return fmt.Sprintf("client: HTTP %d: %s", e.Code, e.Body) }

// Answer is the server's SDP answer.
func (c *Client) Answer() string { return c.answer }

// Connected is closed once the connection is up and media flows both ways
// (Connect returns with the answer, before that).
func (c *Client) Connected() <-chan struct{} { return c.connected }

// stateChange follows the connection's state: connected, then ended.
func (c *Client) stateChange(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		c.connOnce.Do(func() { close(c.connected) })
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		c.endOnce.Do(func() { c.endState = st; close(c.ended) })
	}
}

// Ended is closed once the connection is over: failed (no path left for
// ICE, or DTLS failed) or closed (by the server, which ends the session
// with its DTLS, or by Close). EndState says which. It stays closed: a
// failed connection that RestartICE brings back is not told.
func (c *Client) Ended() <-chan struct{} { return c.ended }

// EndState is the state the connection ended in, once Ended is closed:
// failed or closed.
func (c *Client) EndState() webrtc.PeerConnectionState {
	select {
	case <-c.ended:
		return c.endState
	default:
		return webrtc.PeerConnectionStateUnknown
	}
}

// Location is the session's URL (DELETE it to leave).
func (c *Client) Location() string { return c.location }

// Key is the last part of Location: the session's key, which a share of
// this session's names as its Owner.
func (c *Client) Key() string {
	if c.location == "" {
		return "" // not joined
	}
	return path.Base(c.location)
}

// ETag names the session's ICE as the server last said (the join's, or
// the last restart's).
func (c *Client) ETag() string {
	c.etagMu.Lock()
	defer c.etagMu.Unlock()
	return c.etag
}

// Err is the first error met while sending, if any.
func (c *Client) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// Leave asks the server to end the session, then closes the connection.
func (c *Client) Leave(ctx context.Context) error {
	return errors.Join(c.Delete(ctx), c.Close())
}

// Delete asks the server to end the session (DELETE on its Location)
// without closing the connection: a client that keeps sending afterwards
// must not be seen any more.
func (c *Client) Delete(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, c.location, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &StatusError{Code: resp.StatusCode}
	}
	return nil
}

// Close closes the connection without telling the server (a vanished
// client) and waits for the client's goroutines.
func (c *Client) Close() error {
	c.cancel()
	err := c.pc.Close()
	c.wgMu.Lock()
	c.closed = true
	c.wgMu.Unlock()
	c.wg.Wait()
	return err
}
