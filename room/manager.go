package room

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
	"mcu/mixer"
	"mcu/recorder"
)

// Manager holds the server's rooms: it creates a room on its first join and
// closes it when the last session leaves.
type Manager struct {
	cfg  Config
	apis *apiMaker
	log  *slog.Logger
	obs  Observer
	// strain tells when the server last fell behind its media: the rooms'
	// observer (obs) and decoders mark it, reserve reads it.
	strain *strain

	iceRestarts atomic.Uint64 // sessions' ICE restarted (PatchICE)

	mu    sync.Mutex
	rooms map[string]*Room
	// shutting holds the rooms being closed, out of rooms but perhaps
	// still finalizing a recording, which Close waits for.
	shutting map[*Room]struct{}
	// stopping ends when Close begins (stop is called under mu): no join
	// is taken after, and the negotiations in flight end. joins counts
	// those (added under mu before then).
	stopping context.Context
	stop     context.CancelFunc
	joins    sync.WaitGroup
}

// STUNServers are the STUN servers (stun: URLs) the server gathers with,
// which clients may use too; TURN servers, whose credentials are the
// server's own, are left out, and so are stuns: URLs, which browsers and
// libdatachannel refuse (a client taking the list whole would fail).
func (m *Manager) STUNServers() []string {
	var urls []string
	for _, u := range m.iceServerURLs() {
		if strings.HasPrefix(strings.ToLower(u), "stun:") {
			urls = append(urls, u)
		}
	}
	return urls
}

// iceServerURLs are the URLs of the STUN and TURN servers the server
// gathers with (without their credentials), for its logs.
func (m *Manager) iceServerURLs() []string {
	var urls []string
	for _, s := range m.cfg.Net.ICEServers {
		urls = append(urls, s.URLs...)
	}
	return urls
}

// NewManager checks cfg and prepares the WebRTC stack.
func NewManager(cfg Config) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.GatherTimeout <= 0 {
		cfg.GatherTimeout = 5 * time.Second
	}
	m := &Manager{cfg: cfg, apis: newAPIMaker(cfg.Net, cfg.Logger), log: cfg.Logger, obs: cfg.Observer, rooms: map[string]*Room{}, shutting: map[*Room]struct{}{}}
	m.stopping, m.stop = context.WithCancel(context.Background())
	if m.obs == nil {
		m.obs = nopObserver{}
	}
	m.strain = newStrain(cfg.OverloadHold, cfg.Logger)
	m.obs = strainObserver{m.obs, m.strain}
	return m, nil
}

// Join negotiates a new session from an SDP offer and returns it with the
// answer (holding all ICE candidates). The room is created if needed.
func (m *Manager) Join(ctx context.Context, roomName, name string, kind Kind, offer string) (*Session, string, error) {
	return m.join(ctx, roomName, name, kind, offer, false, "")
}

// Share is Join for a publisher whose picture is shared content: a screen,
// slides (mixer.Participant.Content). It is shown large in the speaker
// layout, to which a room in the grid goes for as long as a share lasts.
//
// owner, when not empty, is the Key of the participant's session (a
// join's) that shares it, proof that the share is theirs: they do not hear
// its sound (a tab's, shared with it), which they would otherwise hear
// come back late, and it ends when they leave (LeftWithOwner). A key that
// finds no session of the room is ErrNotFound; a publisher's or a
// viewer's, ErrBadOwner.
func (m *Manager) Share(ctx context.Context, roomName, name, offer, owner string) (*Session, string, error) {
	return m.join(ctx, roomName, name, Publisher, offer, true, owner)
}

func (m *Manager) join(ctx context.Context, roomName, name string, kind Kind, offer string, content bool, ownerKey string) (*Session, string, error) {
	if !recorder.SafeName(roomName) {
		return nil, "", ErrBadName
	}
	var owner *Session
	if ownerKey != "" {
		var err error
		if owner, err = m.session(roomName, ownerKey); err != nil {
			return nil, "", fmt.Errorf("the share's owner: %w", err)
		}
		if owner.Kind != Participant {
			return nil, "", fmt.Errorf("%w: it is a %s", ErrBadOwner, owner.Kind)
		}
		if name == "" {
			// Named after whoever shares it, as the demo page names its own.
			name = owner.Name + " (screen)"
		}
	}
	d, err := parseOffer(offer)
	if err != nil {
		return nil, "", err
	}
	if err := checkOffer(d); err != nil {
		return nil, "", err
	}
	if err := checkDirections(d, kind); err != nil {
		return nil, "", err
	}
	if content && !sendsVideo(d) {
		// It would hold the large tile with a placeholder.
		return nil, "", fmt.Errorf("%w: a share sends no video (every video section recvonly, inactive or absent)", ErrBadOffer)
	}
	bundled := hasBundleGroup(d) // before forPion, which gives pion one
	offer = forPion(d, offer)
	if kind != Publisher {
		if err := checkReceivable(d); err != nil {
			return nil, "", err
		}
	}
	if kind != Viewer {
		if err := checkSendable(d); err != nil {
			return nil, "", err
		}
	}
	mix, level := mixCodec(d)
	r, err := m.reserve(roomName, kind, owner != nil)
	if err != nil {
		return nil, "", err
	}
	defer m.joins.Done()
	// Close ends a negotiation in flight: it waits for the joins.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(m.stopping, cancel)()
	s, answer, err := m.negotiate(ctx, r, name, kind, offer, mix, level)
	if err == nil && !bundled {
		answer = withoutBundleGroup(answer) // RFC 8843 7.3: none the offerer did not ask for
	}
	if err == nil {
		negotiated(s)
	}
	// The mixer takes the participant before the room lists the session:
	// once listed, a Leave may close it, and a close before the Add would
	// leave a tile nobody removes.
	if err == nil && kind != Viewer {
		s.Content = content
		p := mixer.Participant{ID: s.ID, Name: s.Name, Video: s.video, Audio: s.audio, MixMinus: kind == Participant, Content: content}
		if owner != nil {
			s.Owner, p.Owner = owner.ID, owner.ID
		}
		if err = r.mixer.Add(p); err != nil {
			s.close()
			if errors.Is(err, mixer.ErrClosed) { // the room's mixer failed meanwhile (evict)
				err = ErrRoomClosed
			}
		}
	}
	// Under both locks, in reserve's order: Close stops under m.mu, so a
	// session is either in its room before Close looks, or not at all.
	var orphan *Session
	autoRecord := false
	m.mu.Lock()
	r.mu.Lock()
	r.unreserve(kind)
	switch {
	case m.stopping.Err() != nil:
		if err == nil {
			orphan = s
		}
		err = ErrClosed
	case err == nil && s.gone.Load():
		orphan, err = s, ErrPeerGone
	case err == nil && ctx.Err() != nil:
		// The client is gone (its request was cancelled): nobody will
		// have the answer, and a listed session would keep a tile until
		// its ICE timed out.
		orphan, err = s, ctx.Err()
	case err == nil && m.rooms[r.name] != r:
		// The room was evicted while the join was under way: its
		// sessions have been let go, and so is this one.
		orphan, err = s, ErrRoomClosed
	case err == nil && owner != nil && r.sessions[owner.ID] != owner:
		// Its owner left meanwhile, and their shares with them.
		orphan, err = s, fmt.Errorf("the share's owner left while it joined: %w", ErrNotFound)
	case err == nil:
		r.sessions[s.ID] = s
		// Told under the locks: once they are let go, a leave (ICE
		// failing, SIGTERM, an eviction) may tell its participant_left,
		// and the room's close its room_finished, before this join
		// goes on.
		r.emit(Event{Type: EventJoined, Session: s.ID, Name: s.Name, Kind: kind.String(), Content: content, Owner: s.Owner})
		m.obs.Joined(kind)
		autoRecord = m.cfg.AutoRecord && kind != Viewer && !r.autoRecorded
		r.autoRecorded = r.autoRecorded || autoRecord
	}
	r.mu.Unlock()
	m.mu.Unlock()
	if orphan != nil {
		orphan.close()
	}
	if err != nil {
		m.closeIfEmpty(r)
		return nil, "", err
	}
	joined := []any{"session", s.ID, "name", s.Name, "kind", kind}
	if content {
		joined = append(joined, "content", true)
	}
	if s.Owner != "" {
		joined = append(joined, "owner", s.Owner)
	}
	r.log.Info("joined", joined...)
	if m.cfg.Net.PeerTimeout > firstConnectTimeout {
		// A client that never connects (an offer posted and left) is
		// otherwise held, its sockets, goroutines and place in the room,
		// until its ICE or DTLS gives up: -peer-timeout, up to 10 min,
		// meant for a connected peer whose network went.
		s.connectBy.Store(time.AfterFunc(firstConnectTimeout, func() {
			if !s.connected.Load() {
				m.neverConnected(r, s)
			}
		}))
	}
	if autoRecord {
		// Its file is created on the disk: not in the join's way.
		go r.recordAutomatically()
	}
	return s, answer, nil
}

// neverConnected ends session s of room r, whose client never connected
// (its ICE or DTLS gave up, or firstConnectTimeout passed), saying so as a
// warning: one now and then is a client gone before it connected, many
// are a network that lets no media through (UDP blocked, a wrong
// -nat1to1-ip).
func (m *Manager) neverConnected(r *Room, s *Session) {
	if m.leave(r, s.ID, func(x *Session) bool { return x == s }, LeftNeverConnected) == nil {
		r.log.Warn("a session's client never connected (UDP blocked between them, or a wrong -nat1to1-ip?)", "session", s.ID, "name", s.Name)
	}
}

// firstConnectTimeout is how long a joined session's peer has to connect
// (ICE, then DTLS) when -peer-timeout is longer: a browser's ICE gives up
// after about 30 s.
var firstConnectTimeout = 30 * time.Second

// negotiated runs between a join's negotiation and its listing: a seam
// for the tests of what may happen there (the peer fails, the room is
// evicted).
var negotiated = func(*Session) {}

// maxOfferCandidates bounds the UDP addresses an offer's ICE candidates
// may name (the server checks UDP ones only; a browser lists a few, each
// in every section: host, server reflexive, relay), while each one makes
// the server send connectivity checks to it, which a hostile offer could
// aim anywhere, some 1,500 of them to a 64 KiB body.
const maxOfferCandidates = 64

// parseOffer reads an offer's SDP, once for every check a join makes.
func parseOffer(offer string) (*sdp.SessionDescription, error) {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	return &d, nil
}

// checkOffer refuses what is not an SDP offer with audio or video and the
// ICE credentials and DTLS fingerprint a connection needs, before a room
// (and its encoder) is opened for it. It also refuses an offer of data
// channels: mcu carries none, and pion would take any number a client
// opens, a goroutine and a buffer each; and one listing more than
// maxOfferCandidates candidates.
func checkOffer(d *sdp.SessionDescription) error {
	has := func(key string) bool {
		if _, ok := d.Attribute(key); ok {
			return true
		}
		return slices.ContainsFunc(d.MediaDescriptions, func(md *sdp.MediaDescription) bool {
			_, ok := md.Attribute(key)
			return ok
		})
	}
	if !slices.ContainsFunc(d.MediaDescriptions, func(md *sdp.MediaDescription) bool {
		return md.MediaName.Media == "audio" || md.MediaName.Media == "video"
	}) {
		return fmt.Errorf("%w: no audio or video section", ErrBadOffer)
	}
	for _, key := range []string{"ice-ufrag", "ice-pwd", "fingerprint"} {
		if !has(key) {
			return fmt.Errorf("%w: no a=%s", ErrBadOffer, key)
		}
	}
	if err := checkFingerprints(d.Attributes); err != nil {
		return err
	}
	if err := checkCredentials(d.Attributes); err != nil {
		return err
	}
	addrs := map[string]bool{} // of the UDP candidates
	udpAddresses(addrs, candidateValues(d.Attributes)...)
	for _, md := range d.MediaDescriptions {
		if err := checkFingerprints(md.Attributes); err != nil {
			return err
		}
		if err := checkFormats(md); err != nil {
			return err
		}
		if err := checkCredentials(md.Attributes); err != nil {
			return err
		}
		if md.MediaName.Media == "application" {
			// Rejected (port 0) only without bundle-only, with which pion
			// takes it all the same (RFC 8843).
			if _, bundled := md.Attribute("bundle-only"); md.MediaName.Port.Value != 0 || bundled {
				return fmt.Errorf("%w: a data channel (m=application): mcu carries audio and video only", ErrBadOffer)
			}
		}
		udpAddresses(addrs, candidateValues(md.Attributes)...)
	}
	if len(addrs) > maxOfferCandidates {
		return fmt.Errorf("%w: ICE candidates at %d UDP addresses, at most %d taken", ErrBadOffer, len(addrs), maxOfferCandidates)
	}
	return nil
}

// checkCredentials refuses ICE credentials of other characters than RFC
// 8839's ice-chars (letters, digits, '+', '/'), as a restart's are: the
// username fragment goes into every check the server sends, to whatever
// address the candidates name, and must not carry a client's text there.
// Their lengths are not held to the RFC's least, which some clients
// may not keep to.
func checkCredentials(attrs []sdp.Attribute) error {
	for _, a := range attrs {
		if a.Key == "ice-ufrag" || a.Key == "ice-pwd" {
			if !iceChars(a.Value, 1) {
				return fmt.Errorf("%w: a=%s of other characters than letters, digits, '+' and '/', or over 256 (RFC 8839)", ErrBadOffer, a.Key)
			}
		}
	}
	return nil
}

// fingerprintSizes are the digest sizes, in bytes, of the hash functions
// a DTLS fingerprint may name (RFC 8122; MD2 and MD5 are refused).
var fingerprintSizes = map[string]int{"sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64}

// checkFingerprints refuses a DTLS fingerprint that cannot be one: an
// unknown or broken hash function, or not the digest's bytes in hex, two
// digits each, between colons. Such an offer was answered 201, and its
// DTLS then failed, leaving the client with a join that said yes.
func checkFingerprints(attrs []sdp.Attribute) error {
	for _, a := range attrs {
		if a.Key != "fingerprint" {
			continue
		}
		hash, value, _ := strings.Cut(strings.TrimSpace(a.Value), " ")
		size, ok := fingerprintSizes[strings.ToLower(hash)]
		if !ok {
			return fmt.Errorf("%w: a=fingerprint with hash function %q: want sha-256 (or sha-1, sha-224, sha-384, sha-512)", ErrBadOffer, hash)
		}
		bytes := strings.Split(strings.TrimSpace(value), ":")
		valid := len(bytes) == size
		for _, b := range bytes {
			valid = valid && len(b) == 2 && isHex(b[0]) && isHex(b[1])
		}
		if !valid {
			return fmt.Errorf("%w: a=fingerprint %q: want %d bytes in hex, colon-separated", ErrBadOffer, a.Value, size)
		}
	}
	return nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// checkFormats refuses an audio or video section, not rejected, without a
// format or with a payload type RTP cannot carry (0 to 127; the header
// has 7 bits).
func checkFormats(md *sdp.MediaDescription) error {
	media := md.MediaName.Media
	_, bundled := md.Attribute("bundle-only")
	if media != "audio" && media != "video" || md.MediaName.Port.Value == 0 && !bundled {
		return nil
	}
	if len(md.MediaName.Formats) == 0 {
		return fmt.Errorf("%w: an m=%s section without a format", ErrBadOffer, media)
	}
	for _, f := range md.MediaName.Formats {
		if pt, err := strconv.Atoi(f); err != nil || pt < 0 || pt > 127 {
			return fmt.Errorf("%w: m=%s payload type %q: want 0..127", ErrBadOffer, media, f)
		}
	}
	return nil
}

// reserve finds or creates the room and holds a place in it for a join
// (viewers too: the room must not close under a join in flight) and counts
// the join in m.joins. Undo with unreserve, under the room's lock, and
// m.joins.Done once the join has ended. owned: the join is a share naming
// its owner, in the room already, which a locked room takes.
func (m *Manager) reserve(name string, kind Kind, owned bool) (*Room, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopping.Err() != nil {
		return nil, ErrClosed
	}
	r := m.rooms[name]
	strained, left := m.strain.strained(time.Now())
	if r == nil {
		if kind == Viewer && m.cfg.MaxViewers == 0 {
			return nil, ErrNoMoreViewers // before a room is opened for nobody
		}
		if len(m.rooms) >= m.cfg.MaxRooms {
			return nil, ErrServerFull
		}
		if strained {
			return nil, m.refuse(left)
		}
		var err error
		if r, err = newRoom(name, m); err != nil {
			return nil, err
		}
		m.rooms[name] = r
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kind != Viewer {
		if r.locked && !owned {
			return nil, ErrLocked
		}
		if r.shown() >= m.cfg.MaxParticipants {
			return nil, ErrRoomFull
		}
		if strained {
			return nil, m.refuse(left)
		}
		r.pending++
	} else if r.watching() >= m.cfg.MaxViewers {
		return nil, ErrNoMoreViewers
	}
	r.joining++
	m.joins.Add(1)
	return r, nil
}

// refuse counts a join refused for strain, left before the server takes
// one again.
func (m *Manager) refuse(left time.Duration) error {
	m.strain.refused.Add(1)
	return &OverloadError{RetryAfter: left}
}

// Ready is nil while the manager takes every kind of join: ErrClosed once
// it is closing, an *OverloadError while strained (see
// Config.OverloadHold), ErrServerFull while it has Config.MaxRooms open.
// A load balancer sends new rooms elsewhere meanwhile.
func (m *Manager) Ready() error {
	if m.stopping.Err() != nil {
		return ErrClosed
	}
	if strained, left := m.strain.strained(time.Now()); strained {
		return &OverloadError{RetryAfter: left}
	}
	m.mu.Lock()
	full := len(m.rooms) >= m.cfg.MaxRooms
	m.mu.Unlock()
	if full {
		return ErrServerFull
	}
	return nil
}

// Overload tells whether joins of senders and new rooms are refused for
// the server's strain (see Config.OverloadHold), how many have been, and
// how many frames of participants' video were dropped for their decoder
// falling behind.
func (m *Manager) Overload() (refusing bool, refused, behind uint64) {
	refusing, _ = m.strain.strained(time.Now())
	return refusing, m.strain.refused.Load(), m.strain.behind.Load()
}

// unreserve gives back the place reserve held; r.mu must be held.
func (r *Room) unreserve(kind Kind) {
	if kind != Viewer {
		r.pending--
	}
	r.joining--
}

// negotiate makes the session for a join of kind into r: its
// PeerConnection with the room's tracks it receives (per kind), the
// handlers of its tracks and state, and the answer to offer with every
// ICE candidate gathered (or those within GatherTimeout). On failure
// nothing of it is left running.
func (m *Manager) negotiate(ctx context.Context, r *Room, name string, kind Kind, offer string, mix codec.VideoCodec, level codec.H264Level) (*Session, string, error) {
	var guard streamGuard
	id := randomHex(8)
	logs := newPionLogs(r.log.With("session", id))
	reports := &srClocks{epoch: r.mixer.Epoch}
	api, err := m.apis.newAPI(guard.buffer, logs, reports)
	if err != nil {
		return nil, "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: m.cfg.Net.ICEServers})
	if err != nil {
		return nil, "", fmt.Errorf("room: peer connection: %w", err)
	}
	s := &Session{ID: id, pionLogs: logs, secret: randomHex(16), etag: newETag(), Name: name, Kind: kind, room: r, pc: pc, joined: time.Now(), video: mixer.NewLiveVideo()}
	if kind != Viewer { // a viewer sends nothing, and is not in the mix
		if s.audio, err = newAudioJitter(r.obs); err != nil {
			pc.Close()
			return nil, "", fmt.Errorf("room: audio decoder: %w", err)
		}
		s.video.Follow(s.audio.out) // their picture keeps with their sound
	}
	if s.Name == "" {
		s.Name = s.ID[:6]
	}
	guard.onExcess(func() {
		r.log.Warn("peer opened too many SRTP streams, closing it", "session", s.ID, "limit", maxStreams)
		pc.Close() // the state change ends the session
	})
	var videoSSRC uint32 // the composite's towards the receiver, once added
	fail := func(err error) (*Session, string, error) {
		// No track reader may start once Wait has begun. pion cannot call
		// onTrack before the answer is out, which no failure here follows,
		// but that is pion's order, not ours.
		s.markClosed()
		s.closePeer()
		// What watchVideoFeedback registered: close, which forgets it
		// otherwise, is not called for a join that failed, and pion does
		// not unbind a track it never bound.
		if kind != Publisher {
			r.downlink.forget(s.ID)
			r.output(s.mix).track.forgetHalfRate(videoSSRC)
		}
		return nil, "", err
	}
	if kind != Publisher {
		s.mix, s.h264Lvl = mix, level
		video := r.output(s.mix).track
		sender, err := pc.AddTrack(video)
		if err != nil {
			return fail(fmt.Errorf("room: add video: %w", err))
		}
		videoSSRC = ssrcOf(sender)
		reports.add(videoSSRC, video)
		if s.mix == codec.H264 {
			s.receiveH264() // until fail or close
		}
		s.watchVideoFeedback(sender)
		audioTrack := r.audio
		if kind == Participant {
			if s.audioOut, err = newMixMinusTrack(r.name, r.obs.BytesOut); err != nil {
				return fail(err)
			}
			audioTrack = s.audioOut
		}
		asender, err := pc.AddTrack(audioTrack)
		if err != nil {
			return fail(fmt.Errorf("room: add audio: %w", err))
		}
		reports.add(ssrcOf(asender), audioTrack)
		s.watchAudioLoss(asender)
	}
	// A viewer's media too, if it offered any: pion buffers what a track
	// receives until it is read.
	pc.OnTrack(s.onTrack)
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			s.connected.Store(true)
			if kind != Publisher {
				s.mixKeyframe() // a new receiver starts with a keyframe, not at the next periodic one
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			// The client vanished. Before Join lists the session, this
			// Leave finds nothing: Join sees gone instead.
			s.gone.Store(true)
			if !s.connected.Load() && st == webrtc.PeerConnectionStateFailed {
				go m.neverConnected(r, s)
				return
			}
			go m.End(r.name, s.ID)
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		if errors.Is(err, webrtc.ErrUnsupportedCodec) {
			return fail(fmt.Errorf("%w: it cannot receive the mix (VP8 or H.264 video, Opus audio)", ErrBadOffer))
		}
		return fail(fmt.Errorf("room: local description: %w", err))
	}
	select {
	case <-gathered:
	case <-time.After(m.cfg.GatherTimeout):
		r.log.Warn("ICE gathering timed out; answering with the candidates so far (a STUN or TURN server did not answer)", "session", s.ID, "ice_servers", m.iceServerURLs())
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	return s, candidatesInOrder(pc.LocalDescription().SDP), nil
}

// ssrcOf is the SSRC a sender sends under (pion draws it when the sender
// is made).
func ssrcOf(s *webrtc.RTPSender) uint32 {
	if e := s.GetParameters().Encodings; len(e) > 0 {
		return uint32(e[0].SSRC)
	}
	return 0
}

// receiverKeyframeInterval is the least time between two keyframes one
// receiver may cause. A keyframe costs several times a delta frame, and
// every receiver (and the recording) gets it: a receiver on a link too
// poor to take the stream asks again and again, and at the mixer's own
// limit (one per 500 ms) it would spend much of everyone's bitrate on
// keyframes. Its requests in between are counted and held as one, which
// is made when the interval has passed and the receiver's next RTCP comes
// (its reports come every second or so): a client that asks only once per
// loss still gets its keyframe (unless it asks just after the last one it
// got: see keyframeAnswered). A keyframe lost on the way is resent on
// NACK like any packet.
const receiverKeyframeInterval = 2 * time.Second

// floorKeyframeInterval is receiverKeyframeInterval for a receiver whose
// estimate sits at the floor, still losing: its link cannot take even the
// least the mix sends, and a keyframe, several times a picture's size, can
// rarely reach it whole. Its requests made every 2 s lowered everyone's
// picture for a keyframe each time (18 in 40 s for one receiver capped at
// 500 kbit/s, none of which it got whole). Held 5 s, the periodic keyframe
// (every 5 s) answers them.
const floorKeyframeInterval = 5 * time.Second

// keyframeInterval is the least time between two keyframes s's requests
// may cause.
func (s *Session) keyframeInterval() time.Duration {
	d := s.room.downlink
	if d != nil && d.floor < d.max && s.downlink.Load() > 0 && s.downlink.Load() <= int64(d.floor) {
		return floorKeyframeInterval
	}
	return receiverKeyframeInterval
}

// keyframeAnswered is how long after the keyframe that answered a
// receiver's request its further requests may still be about the loss it
// repaired: a browser asks again every 200 ms or so until a keyframe
// arrives, so the requests it made while one was coalesced, encoded and on
// its way (a round trip) are answered by it, and holding them would force
// a second keyframe on everyone two seconds later. (A request about a new
// loss within that time is dropped too; a browser's next ones, 200 ms
// apart, are not.) The keyframe that answers a request is one that went
// out within keyframeServed of it: the mixer makes one at most every
// 500 ms.
const (
	keyframeAnswered = 500 * time.Millisecond
	keyframeServed   = time.Second
)

// watchVideoFeedback reads a receiver's RTCP for the composite: a PLI or
// FIR asks the room's single encoder for a keyframe (coalesced there), at
// most once per receiverKeyframeInterval, and the receiver's reports make
// its share of the composite's bitrate (downlink).
func (s *Session) watchVideoFeedback(sender *webrtc.RTPSender) {
	ssrc := uint32(sender.GetParameters().Encodings[0].SSRC)
	sent := &s.room.output(s.mix).sent
	last := func() time.Time { return s.room.lastKeyframe(s.mix) }
	keyframes := s.keyframeRequests(time.Now, s.mixKeyframe, last)
	floor := s.room.downlink.floor
	// A receiver of VP8 may be sent every second frame (see downlink's
	// halve); its estimate is then of the half it is sent, and goes down
	// to half the floor, where the composite is held to the floor. Sent
	// every frame, it stops at the floor, as any receiver's.
	var half *atomic.Bool
	if s.mix != codec.H264 {
		half = s.room.output(s.mix).track.halfRate(ssrc)
		s.room.downlink.halvable(s.ID, half.Store)
	}
	halved := func() bool { return half != nil && half.Load() }
	share := func(bps int) int {
		if halved() {
			return bps / 2
		}
		return bps
	}
	est := newDownlinkEstimate(floor, s.room.downlink.max)
	est.sent = func() int { return share(sent.bps(time.Now())) }
	current := func() int { // read before each report
		est.floor = float64(floor)
		if halved() {
			est.floor /= 2
		}
		return share(s.room.mixer.Bitrate())
	}
	bitrate := downlinkFeedback(ssrc, est, time.Now, current, s.reportDownlink)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		readRTCP(sender.ReadRTCP, func(pkts []rtcp.Packet) {
			keyframes(pkts)
			bitrate(pkts)
		})
	}()
}

// reportDownlink passes the receiver's estimate on to the room unless the
// session has closed (close has made the room forget it then).
func (s *Session) reportDownlink(bps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.downlink.Store(int64(bps))
		s.room.downlink.update(s.ID, bps)
	}
}

// keyframeRequests returns the handler of a receiver's RTCP for the
// composite: it calls request for a keyframe, reading the time from now
// and when the last keyframe went out from keyframe. A request held for
// the interval is dropped once a keyframe has answered it: the one the
// receiver's last request made, one that went out after the first of the
// requests held (someone else's, or the encoder's), or the one that
// answered the requests before; in each case with the requests made up to
// keyframeAnswered after it, which crossed it on their way. Use from one
// goroutine.
func (s *Session) keyframeRequests(now func() time.Time, request func(), keyframe func() time.Time) func([]rtcp.Packet) {
	// The last request made; the first and the last one received since;
	// the keyframe that answered the last requests held.
	var last, since, asked, answered time.Time
	pending := false
	return func(pkts []rtcp.Packet) {
		t := now()
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.room.obs.PLIReceived()
				if !pending {
					since = t
				}
				pending, asked = true, t
			}
		}
		if !pending {
			return
		}
		if !last.IsZero() {
			k := keyframe()
			made := !k.Before(last) && k.Sub(last) <= keyframeServed // by its last request
			if (made || k.After(since) || !answered.IsZero() && k.Equal(answered)) && !asked.After(k.Add(keyframeAnswered)) {
				pending, answered = false, k
				return
			}
			if t.Sub(last) < s.keyframeInterval() {
				return // held
			}
		}
		last, pending = t, false
		request()
	}
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Leave ends the session whose Key is key, for its client: its tile goes at
// the next tick, whatever the client still sends. The room closes when it
// was the last one. A key whose secret is wrong finds nothing
// (ErrNotFound), as an unknown session does.
func (m *Manager) Leave(roomName, key string) error {
	s, err := m.session(roomName, key)
	if err != nil {
		return err
	}
	return m.leave(s.room, s.ID, func(x *Session) bool { return x == s }, LeftByClient)
}

// SessionRoom is the room of the session whose Key is key, for its
// client: the session URL, its credential to leave, reads its room too,
// whatever token let it in (one expired since). A key whose secret is
// wrong finds nothing (ErrNotFound), as an unknown session does.
func (m *Manager) SessionRoom(roomName, key string) (*Room, error) {
	s, err := m.session(roomName, key)
	if err != nil {
		return nil, err
	}
	return s.room, nil
}

// session finds the session whose Key is key in room roomName; a key
// whose secret is wrong finds nothing (ErrNotFound), as an unknown
// session does.
func (m *Manager) session(roomName, key string) (*Session, error) {
	if !recorder.SafeName(roomName) {
		return nil, ErrBadName
	}
	r := m.room(roomName)
	if r == nil {
		return nil, ErrNotFound
	}
	id, secret, _ := strings.Cut(key, ".")
	r.mu.Lock()
	s := r.sessions[id]
	removed := s == nil && r.wasRemoved(id, secret)
	r.mu.Unlock()
	if removed {
		return nil, ErrRemoved
	}
	if s == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1 {
		return nil, ErrNotFound
	}
	return s, nil
}

// End ends session id, for the server (its connection failed or closed,
// or its ICE restart failed): as Leave, without the secret.
func (m *Manager) End(roomName, id string) error {
	return m.end(roomName, id, LeftDisconnected)
}

// Remove ends session id (as the room's JSON lists it), for the room's
// moderator: its tile goes at the next tick, its peer is closed (its
// client learns that its session is over), and its shares end with it.
// Told as LeftRemoved. ErrNotFound for no such room or session.
func (m *Manager) Remove(roomName, id string) error {
	return m.end(roomName, id, LeftRemoved)
}

// end ends session id of room roomName, without its secret, for why.
func (m *Manager) end(roomName, id, why string) error {
	if !recorder.SafeName(roomName) {
		return ErrBadName
	}
	return m.leave(m.room(roomName), id, nil, why)
}

// room is the open room named name, or nil.
func (m *Manager) room(name string) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[name]
}

// leave ends session id of room r (none when r is nil), if allowed (when
// not nil) says so; why is its participant_left's reason.
func (m *Manager) leave(r *Room, id string, allowed func(*Session) bool, why string) error {
	if r == nil {
		return ErrNotFound
	}
	r.mu.Lock()
	s := r.sessions[id]
	if s == nil || allowed != nil && !allowed(s) {
		r.mu.Unlock()
		return ErrNotFound
	}
	delete(r.sessions, id)
	r.leaving++ // the room stays open until the session is closed
	if why == LeftRemoved {
		if len(r.removed) == maxRemovals {
			r.removed = r.removed[1:]
		}
		r.removed = append(r.removed, removal{id, s.secret})
	}
	// Their shares end with them: found under the lock that unlisted
	// them, a share joining now finds them gone (join).
	var shares []string
	for sid, x := range r.sessions {
		if x.Owner == id {
			shares = append(shares, sid)
		}
	}
	r.mu.Unlock()
	s.close()
	r.log.Info("left", "session", id, "reason", why)
	r.emit(Event{Type: EventLeft, Session: id, Name: s.Name, Kind: s.Kind.String(), Reason: why})
	m.obs.Left(s.Kind, why)
	// The server stopping, or the room failing, ends the shares for
	// that: not for their owner, whom it may have let go first.
	sharesWhy := LeftWithOwner
	if why == LeftEnded {
		sharesWhy = LeftEnded
	}
	for _, sid := range shares {
		m.leave(r, sid, nil, sharesWhy)
	}
	r.mu.Lock()
	r.leaving--
	r.mu.Unlock()
	m.closeIfEmpty(r)
	return nil
}

// evict closes a room whose mixer stopped on an error: it is taken out of
// the list at once (a join then opens a fresh room of that name), and
// everyone in it is let go, their peers closed, so that they can join
// again rather than stay before a frozen picture.
func (m *Manager) evict(r *Room) {
	m.mu.Lock()
	if m.rooms[r.name] == r {
		delete(m.rooms, r.name)
		m.shutting[r] = struct{}{} // Close waits for it (closeIfEmpty clears it)
	}
	m.mu.Unlock()
	r.finishing(FinishedFailed)
	m.empty(r)
}

// empty makes everyone in room r leave, then closes it if no join holds it
// open. It goes by the room, which may be out of the list (evict).
func (m *Manager) empty(r *Room) {
	r.mu.Lock()
	ids := slices.Collect(maps.Keys(r.sessions))
	r.mu.Unlock()
	for _, id := range ids {
		m.leave(r, id, nil, LeftEnded)
	}
	m.closeIfEmpty(r)
}

// closeIfEmpty closes a room nobody is in, joining or leaving.
func (m *Manager) closeIfEmpty(r *Room) {
	m.mu.Lock()
	r.mu.Lock()
	empty := len(r.sessions) == 0 && r.joining == 0 && r.leaving == 0 && !r.closing
	if empty {
		r.closing = true
		if m.rooms[r.name] == r {
			delete(m.rooms, r.name)
		}
		m.shutting[r] = struct{}{}
	}
	r.mu.Unlock()
	m.mu.Unlock()
	if empty {
		r.close()
		m.mu.Lock()
		delete(m.shutting, r)
		m.mu.Unlock()
	}
}

// Room returns a room by name: ErrBadName for a name no room can have,
// ErrNotFound for a room not open.
func (m *Manager) Room(name string) (*Room, error) {
	if !recorder.SafeName(name) {
		return nil, ErrBadName
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rooms[name]; r != nil {
		return r, nil
	}
	return nil, ErrNotFound
}

// StopRecording finalizes room name's recording (see Room.StopRecording).
// A room closing because its last participant left (or evicted) is still
// found while its close finalizes the file: the stop waits for that and
// returns the file's path, rather than "no such room" before the file is
// complete. Of the rooms of that name (an open one, and closing ones: a
// join may open a new room while the old one closes), the stop goes to
// the one recording or finalizing a recording, the open one first, then
// the newest.
func (m *Manager) StopRecording(name string) (string, error) {
	if !recorder.SafeName(name) {
		return "", ErrBadName
	}
	m.mu.Lock()
	var rooms []*Room
	for c := range m.shutting {
		if c.name == name {
			rooms = append(rooms, c)
		}
	}
	slices.SortFunc(rooms, func(a, b *Room) int { return b.created.Compare(a.created) })
	if r := m.rooms[name]; r != nil {
		rooms = slices.Insert(rooms, 0, r)
	}
	m.mu.Unlock()
	if len(rooms) == 0 {
		return "", ErrNotFound
	}
	for _, r := range rooms {
		if r.recording() {
			return r.StopRecording()
		}
	}
	return rooms[0].StopRecording()
}

// Rooms lists the rooms, by name.
func (m *Manager) Rooms() []Info {
	m.mu.Lock()
	rooms := make([]*Room, 0, len(m.rooms))
	for _, r := range m.rooms {
		rooms = append(rooms, r)
	}
	m.mu.Unlock()
	infos := make([]Info, 0, len(rooms))
	for _, r := range rooms {
		infos = append(infos, r.Info())
	}
	slices.SortFunc(infos, func(a, b Info) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return infos
}

// Close stops taking joins, finalizes every recording, closes every
// session and room. It returns when all is done or ctx ends.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.stop() // no room is made from now on
	rooms := slices.Collect(maps.Values(m.rooms))
	// Rooms their last participant left are closing on their own, their
	// recordings perhaps still being finalized: those are waited for too.
	closing := slices.Collect(maps.Keys(m.shutting))
	m.mu.Unlock()
	all := slices.Concat(rooms, closing)
	for _, r := range rooms {
		r.finishing(FinishedShutdown)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The recordings first: they are what must not be lost, and a
		// join in flight must not hold them up (closing its peer
		// connection can wait on a DNS lookup for a STUN server).
		// A closing room's recording may be finalizing: the stop waits
		// for it.
		var wg sync.WaitGroup
		for _, r := range all {
			wg.Go(func() {
				if _, err := r.StopRecording(); err != nil && !errors.Is(err, ErrNotRecording) {
					r.log.Error("finalize recording", "err", err)
				}
			})
		}
		wg.Wait()
		// Then the peers. Since stop, no join lists its session: a join
		// in flight closes its own, and then its room (closeIfEmpty).
		for _, r := range all {
			wg.Go(func() { m.empty(r) })
		}
		wg.Wait()
		m.joins.Wait()
		// Each room is closed now, by this, by its last Leave or by the
		// last join in flight: wait until every close is done.
		for _, r := range all {
			<-r.closed
		}
		m.apis.flushLogs()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Given up: say which rooms did not close, and the files that
		// may lack their index, for the operator to check or repair.
		for _, r := range all {
			select {
			case <-r.closed:
				continue
			default:
			}
			// Not waited for: the room may be stuck holding its lock.
			path := "(unknown: the room is busy)"
			if r.mu.TryLock() {
				switch {
				case r.ending != nil:
					path = r.ending.Path()
				case r.rec != nil:
					path = r.rec.Path()
				default:
					path = ""
				}
				r.mu.Unlock()
			}
			r.log.Error("room not closed within the shutdown timeout", "recording_not_finalized", path)
		}
		return ctx.Err()
	}
}

// Counts are the numbers of rooms and of sessions of each kind.
func (m *Manager) Counts() (rooms, participants, viewers int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rooms {
		r.mu.Lock()
		for _, s := range r.sessions {
			if s.Kind == Viewer {
				viewers++
			} else {
				participants++
			}
		}
		r.mu.Unlock()
	}
	return len(m.rooms), participants, viewers
}

// H264Receivers counts the sessions, in every room, that receive the mix
// in H.264 (see mixCodec): each room with any encodes its canvas twice.
func (m *Manager) H264Receivers() int {
	return m.sumRooms(func(r *Room) int {
		n, _ := r.h264Users()
		return n
	})
}

// sumRooms adds up f over the rooms open now, each called outside the
// manager's lock.
func (m *Manager) sumRooms(f func(*Room) int) int {
	m.mu.Lock()
	rooms := slices.Collect(maps.Values(m.rooms))
	m.mu.Unlock()
	n := 0
	for _, r := range rooms {
		n += f(r)
	}
	return n
}

// oneIf is 1 for true, 0 for false: a room counted by sumRooms.
func oneIf(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Lowered counts the rooms whose mix is encoded below the configured
// bitrate because a receiver reports heavy loss (see downlink).
func (m *Manager) Lowered() int {
	return m.sumRooms(func(r *Room) int { return oneIf(r.mixer.Bitrate() < m.cfg.Mixer.Video.Bitrate) })
}

// Recordings counts the rooms recording now (a recording that stopped
// taking the mix for want of disk space too, until its stop).
func (m *Manager) Recordings() int {
	return m.sumRooms(func(r *Room) int {
		r.mu.Lock()
		defer r.mu.Unlock()
		return oneIf(r.rec != nil)
	})
}

// SpedUp counts the rooms whose encoder runs faster than configured, the
// machine short of CPU (mixer.Config.StrainSpeed).
func (m *Manager) SpedUp() int {
	return m.sumRooms(func(r *Room) int { return oneIf(r.mixer.Stats().Speed < m.cfg.Mixer.Video.Speed) })
}

// candidatesInOrder returns the answer sdp with each media section's ICE
// candidates in the order a client that tries only the first should meet
// them: an IPv4 address other than loopback, then IPv6, then link-local,
// then loopback;
// otherwise as pion listed them. FFmpeg's WHIP muxer takes the first host
// candidate alone, and pion lists loopback first (when it offers it) and
// IPv4 or IPv6 first at random; browsers and other clients try them all
// by their priorities, whatever the order.
func candidatesInOrder(sdp string) string {
	lines := strings.SplitAfter(sdp, "\n")
	rank := func(line string) int {
		f := strings.Fields(line)
		if len(f) < 5 {
			return 1
		}
		ip := net.ParseIP(f[4])
		switch {
		case ip == nil:
			return 1 // a name (mDNS): as IPv6
		case ip.IsLoopback():
			return 3
		case ip.IsLinkLocalUnicast():
			return 2 // fe80::/10 needs a zone; 169.254/16 is rarely routed
		case ip.To4() == nil:
			return 1
		}
		return 0
	}
	for i := 0; i < len(lines); {
		if !strings.HasPrefix(lines[i], "a=candidate:") {
			i++
			continue
		}
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "a=candidate:") {
			j++
		}
		slices.SortStableFunc(lines[i:j], func(a, b string) int { return rank(a) - rank(b) })
		i = j
	}
	return strings.Join(lines, "")
}
