package room

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtp"
	"github.com/pion/stun/v4"
	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/packetio"
	"github.com/pion/transport/v4/stdnet"
	"github.com/pion/webrtc/v4"
)

// NetConfig are the network settings of every PeerConnection.
type NetConfig struct {
	// ICEServers are STUN/TURN servers the server uses to gather its own
	// candidates.
	ICEServers []webrtc.ICEServer
	// NAT1To1IPs are public addresses to announce instead of the host's.
	NAT1To1IPs []string
	// UDPMux, when set, carries every PeerConnection's media on one UDP
	// socket, so a single firewall rule suffices.
	UDPMux net.PacketConn
	// Loopback adds 127.0.0.1 host candidates (the server listens on a
	// loopback address, or has no other interface).
	Loopback bool
	// LoopbackOnly gathers host candidates on loopback addresses alone, so
	// that every pair has a loopback end: for tests, on a machine with
	// other interfaces.
	LoopbackOnly bool
	// PeerTimeout is how long a peer whose packets stopped (its network
	// gone, not closed) keeps its session: seen disconnected after a
	// third of it (at most 5 s), given up after all of it. Its ICE may be
	// restarted meanwhile (PatchICE). 0 is DefaultPeerTimeout.
	PeerTimeout time.Duration
}

// DefaultPeerTimeout is NetConfig.PeerTimeout's default: room for a
// browser to notice its connection dropped (5-6 s) and restart its ICE,
// retrying for a few seconds, while a vanished client's tile stays
// frozen no longer than this.
const DefaultPeerTimeout = 15 * time.Second

// iceTimeouts are the disconnected and failed timeouts (pion's: the
// second counted after the first) for a peer timeout.
func iceTimeouts(peer time.Duration) (disconnected, failed time.Duration) {
	if peer <= 0 {
		peer = DefaultPeerTimeout
	}
	disconnected = min(5*time.Second, peer/3)
	return disconnected, peer - disconnected
}

// videoCodecs are the video formats participants may send; the mix itself
// goes out as VP8. H.264 is packetization mode 1 with the profiles browsers
// offer.
var videoCodecs = []webrtc.RTPCodecParameters{
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, PayloadType: 102},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"}, PayloadType: 104},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"}, PayloadType: 106},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f"}, PayloadType: 108},
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"}, PayloadType: 98},
	// AV1 main profile, decoded by dav1d.
	{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeAV1, ClockRate: 90000,
		SDPFmtpLine: "level-idx=5;profile=0;tier=0"}, PayloadType: 45},
}

// audioCodec is Opus; its parameters, in the answer, ask senders for mono
// (no stereo=1, which a browser takes as a wish for stereo and encodes
// its microphone as two channels at twice the bitrate) and say the mix
// may come in stereo.
var audioCodec = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1;sprop-stereo=1"},
	PayloadType: 111,
}

// apiMaker builds the pion API of each PeerConnection: one API a peer, so
// that each peer's SRTP streams are counted on their own (streamGuard).
// The ICE UDP mux, when there is one, is shared by all.
type apiMaker struct {
	cfg     NetConfig
	mux     ice.UDPMux
	muxLogs *pionLogs // the UDP mux's, if there is one
}

// newAPIMaker makes the APIs; log takes the UDP mux's own messages.
func newAPIMaker(cfg NetConfig, log *slog.Logger) *apiMaker {
	a := &apiMaker{cfg: cfg}
	if cfg.UDPMux != nil {
		a.muxLogs = newPionLogs(log)
		a.mux = webrtc.NewICEUDPMux(a.muxLogs.NewLogger("udpmux"), cfg.UDPMux)
	}
	return a
}

// flushLogs says how many of the UDP mux's messages were left out, at
// shutdown.
func (a *apiMaker) flushLogs() { a.muxLogs.flush() }

// newAPI builds the pion API a PeerConnection of the server is made with:
// only the codecs mcu decodes, NACK, RTCP reports, keyframe feedback,
// bitrate ceilings (REMB, bitrateCap) and transport-wide congestion
// control feedback (transport-cc: with it, a browser's bandwidth estimate
// rises to a raised ceiling within a second, where its loss-based estimate
// alone climbs 8 % a second),
// the network settings, buffers for its SRTP streams, logs for pion's
// own messages about the peer, and the room clock in its sender reports.
func (a *apiMaker) newAPI(buffers func(packetio.BufferPacketType, uint32) io.ReadWriteCloser, logs *pionLogs, reports *srClocks) (*webrtc.API, error) {
	cfg := a.cfg
	m := &webrtc.MediaEngine{}
	feedback := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "goog-remb"}}
	for _, c := range videoCodecs {
		c.RTCPFeedback = feedback
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("room: register %s: %w", c.MimeType, err)
		}
	}
	if err := m.RegisterCodec(audioCodec, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("room: register opus: %w", err)
	}
	// A sender of simulcast names its streams with these (RFC 8852): without
	// them pion takes no stream of its video, and its tile stays empty.
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, fmt.Errorf("room: register simulcast extensions: %w", err)
	}
	reg := &interceptor.Registry{}
	// Nearer the wire than pion's reports, so that it sees them.
	reg.Add(reports)
	if err := configureNack(m, reg); err != nil {
		return nil, fmt.Errorf("room: nack: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("room: rtcp reports: %w", err)
	}
	if err := configureTWCC(m, reg); err != nil {
		return nil, fmt.Errorf("room: transport-cc: %w", err)
	}
	s := webrtc.SettingEngine{LoggerFactory: logs}
	host, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("room: network: %w", err)
	}
	s.SetNet(boundedDials{host})
	// A participant whose network vanished (no DTLS close) is seen as
	// disconnected, then removed once ICE fails, PeerTimeout after their
	// last packet (pion's default: 30 s); their tile is frozen meanwhile.
	disconnected, failed := iceTimeouts(cfg.PeerTimeout)
	s.SetICETimeouts(disconnected, failed, 2*time.Second)
	// A peer whose ICE is up but whose DTLS handshake never completes is
	// never connected (pion's handshake has no deadline of its own, and
	// such a peer keeps its place in the room): given up after the peer
	// timeout too.
	peer := cfg.PeerTimeout
	if peer <= 0 {
		peer = DefaultPeerTimeout
	}
	s.SetDTLSConnectContextMaker(func() (context.Context, func()) {
		return context.WithTimeout(context.Background(), peer)
	})
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetIncludeLoopbackCandidate(cfg.Loopback || cfg.LoopbackOnly)
	// A client's candidates are where the server sends its ICE checks:
	// none to an address no peer can be at (0.0.0.0 and :: are this
	// host on Linux, multicast and broadcast reach a network), nor to
	// loopback unless the server offers its own (a client elsewhere
	// naming 127.0.0.1 aims the checks at this host's private services).
	loopbackOK := cfg.Loopback || cfg.LoopbackOnly
	s.SetRemoteIPFilter(func(ip net.IP) bool {
		return !ip.IsUnspecified() && !ip.IsMulticast() && !ip.Equal(net.IPv4bcast) && (loopbackOK || !ip.IsLoopback())
	})
	if cfg.LoopbackOnly {
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if len(cfg.NAT1To1IPs) > 0 {
		s.SetNAT1To1IPs(cfg.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}
	if a.mux != nil {
		s.SetICEUDPMux(a.mux)
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	s.BufferFactory = buffers
	// A sender's retransmission comes in its media stream (the answer
	// takes no RTX), a round trip after the loss, behind every packet
	// sent meanwhile: a hundred or more within a keyframe, or at a few
	// Mbit/s over a long round trip. pion's SRTP refuses a packet more
	// than 64 behind the newest as a replay; taken as far back as the
	// frame assembler waits for one (libwebrtc's window is 1024 too).
	s.SetSRTPReplayProtectionWindow(assemblerSlots)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s)), nil
}

// turnDialTimeout bounds the server's connection to a TURN server over
// TCP (turn:...?transport=tcp, turns:).
const turnDialTimeout = 5 * time.Second

// boundedDials is the host's network for pion, whose TCP dials give up
// after turnDialTimeout. pion's own have no deadline, and closing a peer
// waits for its gathering: a TURN server whose SYNs are dropped (a
// firewall, its host gone) held each leave in the first two minutes of
// a session for the rest of the kernel's retries.
type boundedDials struct{ *stdnet.Net }

func (n boundedDials) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	d := net.Dialer{Timeout: turnDialTimeout}
	if laddr != nil {
		d.LocalAddr = laddr
	}
	c, err := d.Dial(network, raddr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// nackInterval is how often the server asks participants for the packets
// it misses (pion's default: 100 ms). The sooner it asks, the sooner the
// retransmission comes, well within the frame assembler's patience even
// over a link with a 200 ms round trip.
const nackInterval = 50 * time.Millisecond

// nackTries is how many times one missing packet is asked for: as many as
// fit in the assembler's patience. After that its frame is given up and a
// keyframe requested, and a late copy would be thrown away (pion's default
// is to ask until 512 newer packets have come).
var nackTries = uint16(assemblerPatience / nackInterval)

// maxStreams is how many SRTP and SRTCP streams (one an SSRC and
// direction) a peer may make the server open. pion opens one for every SSRC
// a peer's packets name, its RTCP's report blocks included, each with a
// buffer of 2 KB and more, and keeps those it does not expect, unread, until
// the peer closes: one 750-byte receiver report naming 31 new SSRCs would
// pin some 62 KB. A browser needs a handful (its streams, ours, their
// retransmissions and simulcast layers).
const maxStreams = 64

// fullRTPStreams is how many of a peer's incoming RTP streams get pion's
// full buffer (1 MB): more than a participant sends (audio and video).
// pion keeps a stream for an SSRC it cannot route open, unread, until the
// peer closes, so a peer sending packets under ever new SSRCs would
// otherwise pin up to maxStreams full buffers (63 MB).
const fullRTPStreams = 4

// smallRTPBuffer is the buffer of the streams after those: plenty for a
// stream that is read (the track readers take packets as they come).
const smallRTPBuffer = 100 * 1000

// streamGuard makes the buffers of one peer's SRTP streams, as pion's own
// (smaller past fullRTPStreams), and calls excess once the peer has opened
// more than maxStreams.
type streamGuard struct {
	opened atomic.Int32
	rtp    atomic.Int32
	once   sync.Once
	excess atomic.Pointer[func()]
}

// onExcess sets what happens when the peer opens too many streams.
func (g *streamGuard) onExcess(f func()) { g.excess.Store(&f) }

// buffer is a SettingEngine.BufferFactory.
func (g *streamGuard) buffer(kind packetio.BufferPacketType, _ uint32) io.ReadWriteCloser {
	b := packetio.NewBuffer()
	switch kind {
	case packetio.RTPBufferPacket:
		if g.rtp.Add(1) <= fullRTPStreams {
			b.SetLimitSize(1000 * 1000) // pion srtp's limit
		} else {
			b.SetLimitSize(smallRTPBuffer)
		}
	case packetio.RTCPBufferPacket:
		b.SetLimitSize(100 * 1000)
	}
	if g.opened.Add(1) > maxStreams {
		g.once.Do(func() {
			if f := g.excess.Load(); f != nil {
				go (*f)() // not on pion's read loop, which closing waits for
			}
		})
	}
	return b
}

// configureNack adds NACK (requests and retransmissions) to an API's
// interceptors. The responder keeps the last nackKept (256) packets of each
// outgoing stream (over a second of the 720p mix; a retransmission later
// than that is useless), not pion's 1024. It keeps them without copying:
// the composite's packets are the same for every receiver, so the receivers
// share one set of payloads instead of holding 16 copies (6 MB at 16
// people). Payloads are never written after they are sent (pion's
// packetizers make each one anew); headers are, since pion's shared track
// rewrites one header's SSRC for each receiver in turn, so ownHeaders,
// outside the responder, gives every packet a header of its own first.
// A nackLimiter, registered before the responder so that it reads each
// RTCP packet first, bounds what a receiver can make the server resend.
func configureNack(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	return configureNackClock(m, reg, time.Now)
}

// configureNackClock is configureNack with the limiter's clock given.
func configureNackClock(m *webrtc.MediaEngine, reg *interceptor.Registry, now func() time.Time) error {
	reg.Add(limitNacks{now})
	gen := []nack.GeneratorOption{nack.GeneratorInterval(nackInterval), nack.GeneratorMaxNacksPerPacket(nackTries)}
	if err := webrtc.ConfigureNackWithOptions(m, reg, gen, nack.ResponderSize(nackKept), nack.DisableCopy()); err != nil {
		return fmt.Errorf("room: nack: %w", err)
	}
	reg.Add(ownHeaders{})
	return nil
}

// negotiatedNack tells whether a local stream negotiated NACK, so whether
// the responder keeps its packets (the video).
func negotiatedNack(info *interceptor.StreamInfo) bool {
	return slices.ContainsFunc(info.RTCPFeedback, func(f interceptor.RTCPFeedback) bool { return f.Type == "nack" && f.Parameter == "" })
}

// ownHeaders is an interceptor factory (and the interceptor) that copies
// the header of every packet written to a local stream the NACK responder
// keeps packets of.
type ownHeaders struct{ interceptor.NoOp }

func (ownHeaders) NewInterceptor(string) (interceptor.Interceptor, error) { return &ownHeaders{}, nil }

func (*ownHeaders) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !negotiatedNack(info) {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		own := h.Clone()
		return w.Write(&own, payload, a)
	})
}

// ParseICEServer reads a STUN/TURN server given as a URL, with optional
// credentials in the user-info part: "stun:stun.example.com:3478" or
// "turn:user:secret@turn.example.com:3478?transport=udp". The user name
// ends at the first ':', the password at the last '@'; either may hold
// percent-escapes (%3A for a ':' in a user name, %2C for a ',' in
// MCU_ICE_SERVERS). A TURN server needs both. Errors never quote the
// credentials.
func ParseICEServer(s string) (webrtc.ICEServer, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	scheme = strings.ToLower(scheme)
	switch scheme {
	case "stun", "stuns", "turn", "turns":
	default:
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: want a stun:, stuns:, turn: or turns: URL", scheme+":…")
	}
	srv := webrtc.ICEServer{}
	host, secret := rest, false
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		cred := rest[:i]
		host, secret = rest[i+1:], true
		user, pass, _ := strings.Cut(cred, ":")
		var err1, err2 error
		srv.Username, err1 = url.PathUnescape(user)
		pass, err2 = url.PathUnescape(pass)
		srv.Credential = pass
		if err1 != nil || err2 != nil {
			return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %s:%s: a bad %%-escape in the credentials (a %% itself is %%25)", scheme, host)
		}
	}
	where := scheme + ":" + host
	if !ok || host == "" {
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q has no host", where)
	}
	// pion reads the URL when a session starts: a mistake found then
	// would fail every join.
	uri, err := stun.ParseURI(where)
	if err != nil {
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: %w", where, err)
	}
	if uri.Port < 1 || uri.Port > 65535 {
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: port %d: want 1..65535", where, uri.Port)
	}
	turn := scheme == "turn" || scheme == "turns"
	if ip := net.ParseIP(uri.Host); turn && ip != nil && ip.To4() == nil {
		// pion allocates its relays over IPv4 alone: every join would
		// fail to reach it ("non-IPv4 address"), with no relay candidate.
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: a TURN server is reached over IPv4 only: give its IPv4 address or a name that has one", where)
	}
	switch {
	case turn && (srv.Username == "" || srv.Credential == ""):
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: a TURN server needs a user name and a password (turn:user:secret@host)", where)
	case !turn && secret:
		return webrtc.ICEServer{}, fmt.Errorf("room: ICE server %q: a STUN server takes no credentials", where)
	}
	srv.URLs = []string{where}
	return srv, nil
}

// CheckNAT1To1IP reports whether s is what pion takes as a 1:1 NAT
// address: an IP, or "public/private" IPs.
func CheckNAT1To1IP(s string) error {
	ext, local, pair := strings.Cut(s, "/")
	if net.ParseIP(ext) == nil || pair && net.ParseIP(local) == nil {
		return fmt.Errorf("room: NAT address %q: want an IP address, or public/private addresses", s)
	}
	return nil
}
