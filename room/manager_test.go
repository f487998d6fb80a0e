package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/mixer"
)

func testManager(t *testing.T) *Manager {
	t.Helper()
	return testManagerWith(t, DefaultConfig())
}

// testManagerWith is testManager with cfg's mixer and network settings
// but a small canvas (unless cfg's is not the default), a record
// directory of the test's own, loopback candidates, no logs, and no join
// refused for strain (tests run media beside others, under the race
// detector: the strain tests set strain.hold).
func testManagerWith(t *testing.T, cfg Config) *Manager {
	t.Helper()
	cfg.RecordDir = t.TempDir()
	cfg.OverloadHold = 0
	if def := DefaultConfig().Mixer.Video; cfg.Mixer.Video.Width == def.Width && cfg.Mixer.Video.Height == def.Height {
		cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = 320, 180
	}
	cfg.Net.LoopbackOnly = true // for the tests that connect a client
	cfg.Logger = slog.New(slog.DiscardHandler)
	m, err := NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return m
}

// clientEngine is a test client's media engine: video (VP8, or another
// with its own feedback) and Opus.
func clientEngine(t *testing.T, video webrtc.RTPCodecParameters) *webrtc.MediaEngine {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(video, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterCodec(audioCodec, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	return me
}

// testPeer is a test client's PeerConnection on loopback, with me and reg
// (nil: no interceptors), closed with the test.
func testPeer(t *testing.T, me *webrtc.MediaEngine, reg *interceptor.Registry) *webrtc.PeerConnection {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)}
	if reg != nil {
		opts = append(opts, webrtc.WithInterceptorRegistry(reg))
	}
	pc, err := webrtc.NewAPI(opts...).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// sampleTrack adds to pc a track of c, sent as samples, of stream; it
// returns the track and its sender.
func sampleTrack(t *testing.T, pc *webrtc.PeerConnection, c webrtc.RTPCodecCapability, id, stream string) (*webrtc.TrackLocalStaticSample, *webrtc.RTPSender) {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticSample(c, id, stream)
	if err != nil {
		t.Fatal(err)
	}
	return track, addTrack(t, pc, track)
}

// rtpTrack is sampleTrack for a track sent as RTP packets.
func rtpTrack(t *testing.T, pc *webrtc.PeerConnection, c webrtc.RTPCodecCapability, id, stream string) (*webrtc.TrackLocalStaticRTP, *webrtc.RTPSender) {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticRTP(c, id, stream)
	if err != nil {
		t.Fatal(err)
	}
	return track, addTrack(t, pc, track)
}

// addTrack adds track to pc and returns its sender.
func addTrack(t *testing.T, pc *webrtc.PeerConnection, track webrtc.TrackLocal) *webrtc.RTPSender {
	t.Helper()
	sender, err := pc.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

// joinRoom joins pc to room "x" of m as kind, and returns the room and
// the server's answer.
func joinRoom(t *testing.T, m *Manager, kind Kind, pc *webrtc.PeerConnection) (*Room, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, answer, err := m.Join(ctx, "x", "", kind, gatheredOffer(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	return r, answer
}

// joinConnected is joinRoom, then a wait of up to 10 s for pc to connect.
func joinConnected(t *testing.T, m *Manager, kind Kind, pc *webrtc.PeerConnection) *Room {
	t.Helper()
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	r, _ := joinRoom(t, m, kind, pc)
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("not connected within 10 s")
	}
	return r
}

// onlySession is room r's one session.
func onlySession(t *testing.T, r *Room) *Session {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sessions) != 1 {
		t.Fatalf("%d sessions in the room, want 1", len(r.sessions))
	}
	for _, s := range r.sessions {
		return s
	}
	return nil
}

// gatheredOffer is pc's offer with all its candidates.
func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	return gatheredOfferWith(t, pc, nil)
}

// gatheredOfferWith is gatheredOffer made with opts (an ICE restart's).
func gatheredOfferWith(t *testing.T, pc *webrtc.PeerConnection, opts *webrtc.OfferOptions) string {
	t.Helper()
	offer, err := pc.CreateOffer(opts)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// endJoin ends what reserve began, as Join does: the tests reserve a
// place to stand for a join in flight.
func (m *Manager) endJoin(r *Room, kind Kind) {
	r.mu.Lock()
	r.unreserve(kind)
	r.mu.Unlock()
	m.joins.Done()
}

// release ends what reserve began and closes the room if that left it
// empty, as a join that fails does.
func (m *Manager) release(r *Room, kind Kind) {
	m.endJoin(r, kind)
	m.closeIfEmpty(r)
}

// TestJoinInFlightKeepsRoomOpen: a room stays open while any join, a
// viewer's too, is being negotiated, even when everyone else leaves or
// fails meanwhile; it closes once the last join is done with it.
func TestJoinInFlightKeepsRoomOpen(t *testing.T) {
	for _, kind := range []Kind{Viewer, Participant, Publisher} {
		t.Run(kind.String(), func(t *testing.T) {
			m := testManager(t)
			r, err := m.reserve("x", kind, false)
			if err != nil {
				t.Fatal(err)
			}
			m.closeIfEmpty(r) // as when the last session leaves, or another join fails
			if got, err := m.Room("x"); err != nil || got != r {
				t.Fatalf("room closed under a %s join in flight: %v", kind, err)
			}
			m.release(r, kind)
			if _, err := m.Room("x"); !errors.Is(err, ErrNotFound) {
				t.Errorf("room still open after its only join ended: %v", err)
			}
			if _, err := r.StartRecording(); !errors.Is(err, ErrNotFound) {
				t.Errorf("recording started in a closed room: %v", err)
			}
		})
	}
}

// TestCloseDuringJoin: a join still negotiating when the server begins to
// shut down ends with ErrClosed (503), and Close returns only after it, with
// no session or room left behind. Here the join waits on ICE gathering, for
// a STUN server that never answers.
func TestCloseDuringJoin(t *testing.T) {
	stun, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stun.Close()
	cfg := DefaultConfig()
	cfg.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:" + stun.LocalAddr().String()}}}
	cfg.GatherTimeout = time.Minute
	m := testManagerWith(t, cfg)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	offer := gatheredOffer(t, pc)

	joined := make(chan error, 1)
	go func() {
		_, _, err := m.Join(context.Background(), "x", "", Participant, offer)
		joined <- err
	}()
	// The join is in flight once the server has asked the STUN server.
	stun.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := stun.ReadFrom(make([]byte, 1500)); err != nil {
		t.Fatalf("the join never asked the STUN server: %v", err)
	}
	// Close ends the negotiation: the join would otherwise wait for pion's
	// STUN timeout (5 s) or the gathering's (a minute).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	// Close has waited for the join; its caller only has the answer to
	// pass on.
	select {
	case err := <-joined:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("join during close: %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the join in flight did not end with Close")
	}
	if rooms, participants, viewers := m.Counts(); rooms+participants+viewers != 0 {
		t.Errorf("after close: %d rooms, %d participants, %d viewers", rooms, participants, viewers)
	}
}

// TestOfferThatCannotReceiveTheMix: a viewer whose offer takes video in
// neither format of the mix (VP8, H.264 in packetization mode 1) cannot
// receive it: a bad offer (400) naming both, not a server error; one that
// takes only H.264 receives that.
func TestOfferThatCannotReceiveTheMix(t *testing.T) {
	m := testManager(t)
	offer := func(video webrtc.RTPCodecCapability) string {
		me := &webrtc.MediaEngine{}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: video, PayloadType: 102}, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pc.Close() })
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				t.Fatal(err)
			}
		}
		return gatheredOffer(t, pc)
	}
	for _, video := range []webrtc.RTPCodecCapability{
		{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"},
		{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "packetization-mode=0;profile-level-id=42e01f"},
	} {
		_, _, err := m.Join(context.Background(), "x", "", Viewer, offer(video))
		if !errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), "VP8 or H.264") {
			t.Errorf("join with an offer of %s %s only: %v, want ErrBadOffer naming VP8 and H.264", video.MimeType, video.SDPFmtpLine, err)
		}
		if _, err := m.Room("x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("the failed join left its room open: %v", err)
		}
	}
	s, answer, err := m.Join(context.Background(), "x", "", Viewer, offer(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}))
	if err != nil {
		t.Fatalf("join with an H.264-only offer: %v", err)
	}
	if !strings.Contains(answer, "H264/90000") || strings.Contains(answer, "VP8") || s.Info().MixCodec != "H264" {
		t.Errorf("an H.264-only viewer's session says %q; answer:\n%s", s.Info().MixCodec, answer)
	}
}

// TestH264OffersTaken: a publisher offering H.264 in a profile and
// packetization mode browsers, x264-based publishers or single-NAL senders
// use has it taken in the answer, also where no entry of the server's
// matches the offer's exactly (pion then takes one of the same MIME type;
// the depacketizer reads every packetization mode).
func TestH264OffersTaken(t *testing.T) {
	m := testManager(t)
	for _, fmtp := range []string{
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", // browsers' constrained baseline
		"level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f", // constrained high (Chromium, Safari)
		"packetization-mode=1;profile-level-id=42c01f",                           // x264 baseline
		"packetization-mode=1;profile-level-id=4d401f",                           // x264 main
		"packetization-mode=1;profile-level-id=640029",                           // x264 high, level 4.1
		"packetization-mode=0;profile-level-id=42e01f",                           // one NAL unit per packet
	} {
		me := &webrtc.MediaEngine{}
		if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: fmtp}, PayloadType: 120}, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		_, answer, err := m.Join(context.Background(), "h264", "", Publisher, gatheredOffer(t, pc))
		pc.Close()
		if err != nil {
			t.Errorf("%s: %v", fmtp, err)
			continue
		}
		if !strings.Contains(answer, "a=rtpmap:120 H264/90000") {
			t.Errorf("%s: the answer takes no H.264:\n%s", fmtp, answer)
		}
	}
}

// TestTrackAfterCloseIsIgnored: pion delivers a track from a goroutine of
// its own, which may run after the session has closed and waited for its
// readers; the session then starts none (it would read a closed track, and
// add to a WaitGroup already waited on).
func TestTrackAfterCloseIsIgnored(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("x", Publisher, false)
	if err != nil {
		t.Fatal(err)
	}
	api, err := m.apis.newAPI(nil, newPionLogs(slog.New(slog.DiscardHandler)), &srClocks{})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{ID: "s", Kind: Publisher, room: r, pc: pc}
	s.close()
	s.onTrack(nil, nil) // a nil track and receiver: reading them would panic
	s.wg.Wait()
	m.endJoin(r, Publisher)
}

// TestRoomWhoseMixerFailsCloses: when a room's mixer stops on an error
// (its encoder broke), the room leaves the list, its people are let go
// (their peers closed, so they can join again) and a join under the same
// name opens a fresh room.
func TestRoomWhoseMixerFailsCloses(t *testing.T) {
	fail := make(chan struct{})
	real := runMixer
	t.Cleanup(func() { runMixer = real })
	runMixer = func(ctx context.Context, m *mixer.Mixer) error {
		select {
		case <-fail:
			return errors.New("the encoder broke")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m := testManager(t)
	broken := joinConnected(t, m, Viewer, lossyClient(t, 1<<30))
	viewer := onlySession(t, broken)
	close(fail)
	select {
	case <-broken.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the room was not closed 10 s after its mixer failed")
	}
	runMixer = real // the broken room's mixer goroutine has ended
	if _, err := m.Room("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the broken room is still listed (%v)", err)
	}
	if st := viewer.pc.ConnectionState(); st != webrtc.PeerConnectionStateClosed {
		t.Errorf("the viewer's peer connection is %v, want closed", st)
	}
	fresh, err := m.reserve("x", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == broken {
		t.Error("a join after the failure got the broken room")
	}
	m.release(fresh, Viewer)
}

// TestWhatHappensBetweenNegotiationAndListing: a join whose peer fails
// after the negotiation, or whose room is evicted meanwhile, ends with
// its own error (both 503: join again), its peer closed, and leaves no
// session, tile or room behind.
func TestWhatHappensBetweenNegotiationAndListing(t *testing.T) {
	real := runMixer
	t.Cleanup(func() { negotiated = func(*Session) {}; runMixer = real })
	var fail chan struct{} // made for each case, before its room
	var cancelJoin context.CancelFunc
	runMixer = func(ctx context.Context, mx *mixer.Mixer) error {
		return mx.Run(ctx, failingClock{fail, mixer.RealTime()}, 0)
	}
	// The peer vanishes: its connection closes and the session sees it.
	peerFails := func(t *testing.T, _ *Manager, s *Session) {
		s.pc.Close()
		for deadline := time.Now().Add(5 * time.Second); !s.gone.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the session did not see its peer close within 5 s")
			}
		}
	}
	// The room's mixer fails, refusing the participant, and the room
	// leaves the list.
	roomEvicted := func(t *testing.T, m *Manager, _ *Session) {
		close(fail)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, err := m.Room("x"); errors.Is(err, ErrNotFound) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the room was not evicted within 5 s of its mixer failing")
			}
		}
	}
	for _, tc := range []struct {
		name     string
		kind     Kind
		meantime func(t *testing.T, m *Manager, s *Session)
		want     error
	}{
		{"peer fails", Participant, peerFails, ErrPeerGone},
		{"viewer's peer fails", Viewer, peerFails, ErrPeerGone},
		{"room evicted", Participant, roomEvicted, ErrRoomClosed},
		{"viewer's room evicted", Viewer, roomEvicted, ErrRoomClosed},
		// The client gives up its request (its HTTP connection closed).
		{"client gone", Participant, func(*testing.T, *Manager, *Session) { cancelJoin() }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fail = make(chan struct{})
			m := testManager(t)
			var session *Session
			negotiated = func(s *Session) {
				session = s
				tc.meantime(t, m, s)
			}
			pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
			for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
				if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cancelJoin = cancel
			_, _, err := m.Join(ctx, "x", "", tc.kind, gatheredOffer(t, pc))
			negotiated = func(*Session) {}
			if !errors.Is(err, tc.want) {
				t.Fatalf("join: %v, want %v", err, tc.want)
			}
			if session == nil {
				t.Fatal("the join never negotiated")
			}
			if st := session.pc.ConnectionState(); st != webrtc.PeerConnectionStateClosed {
				t.Errorf("the refused session's peer connection is %v, want closed", st)
			}
			if session.room.mixer.Remove(session.ID) {
				t.Error("the refused session left a tile in the mix")
			}
			select { // closed by the join, or by evict meanwhile
			case <-session.room.closed:
			case <-time.After(5 * time.Second):
				t.Error("the refused join's room is not closed 5 s after it")
			}
			if rooms, participants, viewers := m.Counts(); rooms+participants+viewers != 0 {
				t.Errorf("after the refused join: %d rooms, %d participants, %d viewers", rooms, participants, viewers)
			}
		})
	}
}

// failingClock is a real-time clock that fails, as a broken encoder
// would stop the mixer, once fail is closed.
type failingClock struct {
	fail <-chan struct{}
	mixer.Clock
}

func (c failingClock) Wait(ctx context.Context, t time.Duration) (time.Duration, error) {
	select {
	case <-c.fail:
		return 0, errors.New("the encoder broke")
	default:
		return c.Clock.Wait(ctx, t)
	}
}

// TestPublisherIsSentNothing: a publisher (WHIP) whose offer would also
// receive (sendrecv, which RFC 9725 does not forbid) is answered recvonly:
// the server sends it no mix.
func TestPublisherIsSentNothing(t *testing.T) {
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	for _, c := range []webrtc.RTPCodecCapability{{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, audioCodec.RTPCodecCapability} {
		sampleTrack(t, pc, c, c.MimeType, "publisher") // sendrecv
	}
	_, answer := joinRoom(t, m, Publisher, pc)
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	if len(d.MediaDescriptions) != 2 {
		t.Fatalf("the answer has %d media sections, want 2", len(d.MediaDescriptions))
	}
	for _, md := range d.MediaDescriptions {
		if _, ok := md.Attribute("recvonly"); !ok {
			t.Errorf("the publisher's %s section is answered without recvonly", md.MediaName.Media)
		}
	}
}

// bytesObserver counts the bytes received and sent, from any goroutine.
type bytesObserver struct {
	nopObserver
	in, out atomic.Int64
}

func (o *bytesObserver) BytesIn(n int)  { o.in.Add(int64(n)) }
func (o *bytesObserver) BytesOut(n int) { o.out.Add(int64(n)) }

// TestViewerMediaIsRead: a viewer (WHEP) whose client offered to send as
// well is answered sendrecv, as pion matches the offer; what it sends is
// not mixed, but read and let go, rather than left in pion's buffers (a
// megabyte a stream) for as long as it watches.
func TestViewerMediaIsRead(t *testing.T) {
	obs := &bytesObserver{}
	cfg := DefaultConfig()
	cfg.Observer = obs
	m := testManagerWith(t, cfg)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	track, _ := sampleTrack(t, pc, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "viewer") // sendrecv
	r := joinConnected(t, m, Viewer, pc)
	deadline := time.Now().Add(5 * time.Second)
	for obs.in.Load() == 0 && time.Now().Before(deadline) {
		if err := track.WriteSample(media.Sample{Data: make([]byte, 500), Duration: time.Second / 30}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second / 30)
	}
	if obs.in.Load() == 0 {
		t.Error("nothing the viewer sent was read in 5 s")
	}
	if s := onlySession(t, r); s.Kind != Viewer || s.videoTaken.Load() {
		t.Errorf("the viewer's video was taken for the mix (kind %v)", s.Kind)
	}
}

// TestCloseClosesPeersDespiteAStuckJoin: a join that does not end (its
// peer's close waiting on a DNS lookup for a STUN server) does not keep
// Close from closing everyone else's peer connection.
func TestCloseClosesPeersDespiteAStuckJoin(t *testing.T) {
	m := testManager(t)
	r := joinConnected(t, m, Viewer, lossyClient(t, 1<<30))
	viewer := onlySession(t, r)

	stuck, gate := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { negotiated = func(*Session) {} })
	negotiated = func(*Session) {
		close(stuck)
		<-gate
	}
	offer := gatheredOffer(t, lossyClient(t, 1<<30))
	joined := make(chan error, 1)
	go func() {
		_, _, err := m.Join(context.Background(), "x", "", Viewer, offer)
		joined <- err
	}()
	<-stuck
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close with a join stuck: %v, want its deadline", err)
	}
	// Closing a peer connection takes a moment on a busy machine, but
	// not the stuck join's time.
	for deadline := time.Now().Add(10 * time.Second); viewer.pc.ConnectionState() != webrtc.PeerConnectionStateClosed; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the connected viewer's peer connection is %v 10 s after Close, want closed", viewer.pc.ConnectionState())
		}
	}
	close(gate)
	if err := <-joined; !errors.Is(err, ErrClosed) {
		t.Errorf("the stuck join: %v, want ErrClosed", err)
	}
	select {
	case <-r.closed:
	case <-time.After(5 * time.Second):
		t.Error("the room did not close once the stuck join ended")
	}
}

// TestCloseWaitsForALeave: a session whose close is under way (its peer
// connection closing, which can wait on a DNS lookup) keeps its room open,
// so Close does not return before it is done.
func TestCloseWaitsForALeave(t *testing.T) {
	m := testManager(t)
	r := joinConnected(t, m, Viewer, lossyClient(t, 1<<30))
	s := onlySession(t, r)
	s.wg.Add(1) // its close waits until this is done
	released := false
	release := func() {
		if !released {
			released = true
			s.wg.Done()
		}
	}
	defer release()
	go m.End("x", s.ID)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		n := len(r.sessions)
		r.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the session is still listed 5 s after End")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close while a session closes: %v, want its deadline", err)
	}
	release()
	select {
	case <-r.closed:
	case <-time.After(5 * time.Second):
		t.Error("the room did not close once its last session had")
	}
}

// TestViewersLimited: a room takes MaxViewers viewers, joins in flight
// included; the next gets ErrNoMoreViewers, while people may still join
// (their joins in flight do not count as viewers). With a limit of 0 a
// viewer opens no room.
func TestViewersLimited(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxViewers = 2
	m := testManagerWith(t, cfg)
	person, err := m.reserve("x", Participant, false)
	if err != nil {
		t.Fatal(err)
	}
	var held []*Room
	for i := range 2 {
		r, err := m.reserve("x", Viewer, false)
		if err != nil {
			t.Fatalf("viewer %d beside a person joining: %v", i+1, err)
		}
		held = append(held, r)
	}
	if _, err := m.reserve("x", Viewer, false); !errors.Is(err, ErrNoMoreViewers) || !errors.Is(err, ErrRoomFull) {
		t.Errorf("a third viewer: %v, want ErrNoMoreViewers (a full room)", err)
	}
	r, err := m.reserve("x", Participant, false)
	if err != nil {
		t.Fatalf("a participant beside two viewers: %v", err)
	}
	m.endJoin(r, Participant)
	m.endJoin(held[0], Viewer)
	if r, err := m.reserve("x", Viewer, false); err != nil {
		t.Errorf("a viewer after one left: %v", err)
	} else {
		m.endJoin(r, Viewer)
	}
	m.endJoin(held[1], Viewer)
	m.release(person, Participant)

	cfg.MaxViewers = 0
	none := testManagerWith(t, cfg)
	if _, err := none.reserve("y", Viewer, false); !errors.Is(err, ErrNoMoreViewers) {
		t.Errorf("a viewer with a limit of 0: %v, want ErrNoMoreViewers", err)
	}
	if rooms, _, _ := none.Counts(); rooms != 0 {
		t.Errorf("a refused viewer left %d rooms open", rooms)
	}
}

// TestCheckOffer: an offer needs audio or video, ICE credentials and a
// DTLS fingerprint, at session level or in any section (BUNDLE puts them
// in the first, some clients at the top); a fingerprint that cannot be one
// (not hex, the wrong length, MD5) and an RTP section without a format or
// with a payload type over 127 are refused.
func TestCheckOffer(t *testing.T) {
	candidates := func(n int, transport string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a=candidate:%d 1 %s 2122260223 192.0.2.1 %d typ host\r\n", i, transport, 40000+i)
		}
		return b.String()
	}
	noFoundation := func(n int) string { // which pion takes, as seen in the wild
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a=candidate: 1 udp 2122260223 192.0.2.1 %d typ host\r\n", 40000+i)
		}
		return b.String()
	}
	const (
		head  = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
		audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"
		app   = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
		noApp = "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
		ufrag = "a=ice-ufrag:abcd\r\n"
		pwd   = "a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
		fp    = "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
	)
	for _, tc := range []struct {
		name, offer string
		ok          bool
	}{
		{"in the section", head + audio + ufrag + pwd + fp, true},
		{"at session level", head + ufrag + pwd + fp + audio, true},
		{"in the second section only", head + noApp + audio + ufrag + pwd + fp, true},
		{"a data channel", head + audio + ufrag + pwd + fp + app, false},
		{"a data channel of port 0, bundle-only", head + audio + ufrag + pwd + fp + noApp + "a=bundle-only\r\n", false},
		{"65 candidates of transport udp4", head + audio + ufrag + pwd + fp + candidates(65, "udp4"), false},
		{"65 candidates with an empty foundation", head + audio + ufrag + pwd + fp + noFoundation(65), false},
		{"64 candidates", head + audio + ufrag + pwd + fp + candidates(64, "udp"), true},
		{"65 candidates", head + audio + ufrag + pwd + fp + candidates(65, "UDP"), false},
		{"the same 64 in two sections", head + ufrag + pwd + fp + audio + candidates(64, "udp") + audio + candidates(64, "udp"), true},
		{"64 UDP and 64 TCP candidates", head + audio + ufrag + pwd + fp + candidates(64, "udp") + candidates(64, "tcp"), true},
		{"no fingerprint", head + audio + ufrag + pwd, false},
		{"a fingerprint not in hex", head + audio + ufrag + pwd + "a=fingerprint:sha-256 zz\r\n", false},
		{"a fingerprint one byte short", head + audio + ufrag + pwd + strings.Replace(fp, "EE:FF\r\n", "EE\r\n", 1), false},
		{"an MD5 fingerprint", head + audio + ufrag + pwd + "a=fingerprint:md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n", false},
		{"a SHA-1 fingerprint, lower case", head + audio + ufrag + pwd + "a=fingerprint:SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33\r\n", true},
		{"a good fingerprint and a broken one", head + audio + ufrag + pwd + fp + "a=fingerprint:sha-256 00:11\r\n", false},
		{"payload type 200", head + strings.Replace(audio, "SAVPF 111", "SAVPF 111 200", 1) + ufrag + pwd + fp, false},
		{"no format", head + "m=video 9 UDP/TLS/RTP/SAVPF\r\nc=IN IP4 0.0.0.0\r\n" + ufrag + pwd + fp, false},
		{"a rejected video section", head + audio + ufrag + pwd + fp + "m=video 0 UDP/TLS/RTP/SAVPF 0\r\n", true},
		{"no password", head + audio + ufrag + fp, false},
		{"no ufrag", head + audio + pwd + fp, false},
		{"no audio or video", head + app + ufrag + pwd + fp, false},
		{"not SDP", "hello", false},
	} {
		d, err := parseOffer(tc.offer)
		if err == nil {
			err = checkOffer(d)
		}
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, ErrBadOffer) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestAnswerAsksForMonoSound: the answer's Opus parameters do not ask for
// stereo: a browser takes stereo=1 in them as the server's wish to receive
// stereo, and encodes its mono microphone as two channels at twice the
// bitrate (libwebrtc: 64 kbit/s instead of 32), for nothing, since every
// voice is mixed alike into both channels. sprop-stereo=1 says the mix
// the server sends may be stereo.
func TestAnswerAsksForMonoSound(t *testing.T) {
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	rtpTrack(t, pc, audioCodec.RTPCodecCapability, "audio", "client")
	_, answer := joinRoom(t, m, Participant, pc)
	var fmtp string
	for line := range strings.SplitSeq(answer, "\r\n") {
		if rest, ok := strings.CutPrefix(line, fmt.Sprintf("a=fmtp:%d ", audioCodec.PayloadType)); ok {
			fmtp = rest
		}
	}
	params := map[string]string{}
	for p := range strings.SplitSeq(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = v
	}
	if params["stereo"] == "1" || params["sprop-stereo"] != "1" || params["useinbandfec"] != "1" {
		t.Errorf("the answer's Opus parameters %q: want no stereo=1, and sprop-stereo=1 and useinbandfec=1", fmtp)
	}
}

// TestCandidatesInOrder: in each media section of an answer, IPv4
// candidates other than loopback come first, then IPv6 (and names), then
// link-local, then loopback, each kind in pion's order; other lines stay
// where they are.
func TestCandidatesInOrder(t *testing.T) {
	in := "v=0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 ::1 5000 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 127.0.0.1 5001 typ host\r\n" +
		"a=candidate:3 1 udp 2130706431 fe80::1 5002 typ host\r\n" +
		"a=candidate:4 1 udp 2130706431 10.0.0.5 5003 typ host\r\n" +
		"a=candidate:5 1 udp 1694498815 203.0.113.7 5004 typ srflx raddr 10.0.0.5 rport 5003\r\n" +
		"a=candidate:6 1 udp 2130706431 f00d.local 5005 typ host\r\n" +
		"a=end-of-candidates\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
		"a=mid:1\r\n" +
		"a=candidate:7 1 udp 2130706431 127.0.0.1 5006 typ host\r\n" +
		"a=candidate:8 1 udp 2130706431 192.0.2.1 5007 typ host\r\n"
	want := "v=0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=mid:0\r\n" +
		"a=candidate:4 1 udp 2130706431 10.0.0.5 5003 typ host\r\n" +
		"a=candidate:5 1 udp 1694498815 203.0.113.7 5004 typ srflx raddr 10.0.0.5 rport 5003\r\n" +
		"a=candidate:6 1 udp 2130706431 f00d.local 5005 typ host\r\n" +
		"a=candidate:3 1 udp 2130706431 fe80::1 5002 typ host\r\n" +
		"a=candidate:1 1 udp 2130706431 ::1 5000 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 127.0.0.1 5001 typ host\r\n" +
		"a=end-of-candidates\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" +
		"a=mid:1\r\n" +
		"a=candidate:8 1 udp 2130706431 192.0.2.1 5007 typ host\r\n" +
		"a=candidate:7 1 udp 2130706431 127.0.0.1 5006 typ host\r\n"
	if got := candidatesInOrder(in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestStrainSpeedShown: the room's JSON gives the fastest speed its
// encoder may step to under strain, and 0 when the speed is fixed: no
// strain speed, one no faster than the configured speed, or offline.
func TestStrainSpeedShown(t *testing.T) {
	live := DefaultConfig().Mixer
	if got := live.FastestSpeed(); got != mixer.DefaultStrainSpeed {
		t.Errorf("a live room by default: %d, want %d", got, mixer.DefaultStrainSpeed)
	}
	for _, c := range []struct {
		name   string
		mutate func(*mixer.Config)
	}{
		{"no strain speed", func(c *mixer.Config) { c.StrainSpeed = 0 }},
		{"one no faster than -speed", func(c *mixer.Config) { c.Video.Speed = -12 }},
		{"offline", func(c *mixer.Config) { c.Live = false }},
	} {
		cfg := live
		c.mutate(&cfg)
		if got := cfg.FastestSpeed(); got != 0 {
			t.Errorf("%s: %d, want 0 (fixed)", c.name, got)
		}
	}
}
