package room

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// forcedKeyframes counts the mixer's keyframes made on request (not the
// periodic ones), from the encoder's goroutine.
type forcedKeyframes struct {
	nopObserver
	forced atomic.Int64
}

func (o *forcedKeyframes) Keyframe(forced bool) {
	if forced {
		o.forced.Add(1)
	}
}

// waitUntil polls ok every 20 ms until it holds, failing the test with
// what if it does not within limit.
func waitUntil(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rtcpOf hands on the RTCP packets of type P that sender receives (up to
// 16 waiting; more are dropped) until the sender closes.
func rtcpOf[P rtcp.Packet](sender *webrtc.RTPSender) <-chan P {
	ch := make(chan P, 16)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if q, ok := p.(P); ok {
					select {
					case ch <- q:
					default:
					}
				}
			}
		}
	}()
	return ch
}

// TestReceiverPLIForcesKeyframeLive: a PLI a viewer sends for the
// composite's SSRC reaches the room's encoder, which makes a keyframe for
// it (a receiver that lost a picture would otherwise stay broken until
// the periodic keyframe, seconds later).
func TestReceiverPLIForcesKeyframeLive(t *testing.T) {
	obs := &forcedKeyframes{}
	cfg := DefaultConfig()
	cfg.Observer = obs
	m := testManagerWith(t, cfg)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil) // no interceptors: it asks for nothing on its own
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	videoSSRC := make(chan uint32, 1)
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			videoSSRC <- uint32(track.SSRC())
		}
		buf := make([]byte, maxPacket)
		for {
			if _, _, err := track.Read(buf); err != nil {
				return
			}
		}
	})
	r := joinConnected(t, m, Viewer, pc)
	var ssrc uint32
	select {
	case ssrc = <-videoSSRC:
	case <-time.After(10 * time.Second):
		t.Fatal("no composite video within 10 s")
	}
	// The keyframe the join asks for is the only request before the PLI:
	// once it is made, none is pending, and periodic keyframes are not
	// counted.
	waitUntil(t, "the join's keyframe", 10*time.Second, func() bool { return obs.forced.Load() >= 1 })
	forced, keyframes := obs.forced.Load(), r.Info().Mixer.Keyframes
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		t.Fatal(err)
	}
	// At most KeyframeMinInterval (500 ms) after the join's keyframe, and
	// a tick.
	waitUntil(t, "a keyframe forced by the viewer's PLI", 2*time.Second, func() bool { return obs.forced.Load() > forced })
	if got := r.Info().Mixer.Keyframes; got <= keyframes {
		t.Errorf("the room's JSON counts %d keyframes after the PLI, %d before", got, keyframes)
	}
}

// TestSenderPLINamesItsStreamLive: a participant whose video starts
// without a keyframe is sent a PLI whose media SSRC is its video's, the
// one stream a keyframe request can reach (pion hands the sender's
// RTCP reader only packets about its SSRC).
func TestSenderPLINamesItsStreamLive(t *testing.T) {
	m := testManager(t)
	vp8 := videoCodecs[0]
	pc := testPeer(t, clientEngine(t, vp8), nil)
	track, sender := sampleTrack(t, pc, vp8.RTPCodecCapability, "video", "client")
	ssrc := uint32(sender.GetParameters().Encodings[0].SSRC)
	plis := rtcpOf[*rtcp.PictureLossIndication](sender)
	joinConnected(t, m, Participant, pc)
	var inter [][]byte // the clip's frames but its keyframes (VP8: bit 0 of the first byte set)
	for _, f := range clipFrames(t, "p01.ivf", 60) {
		if f[0]&1 == 1 {
			inter = append(inter, f)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	var got []uint32
	for i := 0; ; i++ {
		select {
		case pli := <-plis:
			if pli.MediaSSRC == ssrc {
				return
			}
			got = append(got, pli.MediaSSRC)
		case <-ctx.Done():
			t.Fatalf("no PLI for SSRC %d within 5 s of video without a keyframe (PLIs for %v)", ssrc, got)
		case <-tick.C:
			if err := track.WriteSample(media.Sample{Data: inter[i%len(inter)], Duration: time.Second / 30}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestLossyViewerLeavingRestoresBitrateLive: when the receiver whose loss
// lowered the composite's bitrate leaves, the bitrate is back at the
// configured one at once, not after its estimate goes stale (10 s); a
// publisher, who has no say in it, keeps the room open.
func TestLossyViewerLeavingRestoresBitrateLive(t *testing.T) {
	m := testManager(t)
	pub := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pub.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	joinRoom(t, m, Publisher, pub)
	r, _ := joinRoom(t, m, Viewer, dropClient(t, &dropPackets{mime: webrtc.MimeTypeVP8, n: 4}))
	ceiling := r.Info().Mixer.MaxBitrate
	// pion's receivers report once a second; 25 % loss takes 12.5 % off.
	waitUntil(t, "the mix's bitrate falls", 8*time.Second, func() bool { return r.Info().Mixer.Bitrate <= ceiling*8/10 })
	var viewer string
	r.mu.Lock()
	for id, s := range r.sessions {
		if s.Kind == Viewer {
			viewer = id
		}
	}
	r.mu.Unlock()
	if err := m.End("x", viewer); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the mix's bitrate back at the ceiling after the lossy viewer left", 2*time.Second, func() bool { return r.Info().Mixer.Bitrate == ceiling })
}

// TestRecvonlyVideoBeforeCameraIsShown: an offer whose first video
// section only receives (the composite) and whose second sends the
// camera has the camera decoded: the section that only receives is not
// the participant's first video.
func TestRecvonlyVideoBeforeCameraIsShown(t *testing.T) {
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	track, err := webrtc.NewTrackLocalStaticRTP(videoCodecs[0].RTPCodecCapability, "video", "client")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	r := joinConnected(t, m, Participant, pc)
	var offer sdp.SessionDescription
	if err := offer.UnmarshalString(pc.LocalDescription().SDP); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, md := range offer.MediaDescriptions {
		for _, d := range []string{"recvonly", "sendonly", "sendrecv"} {
			if _, ok := md.Attribute(d); ok && md.MediaName.Media == "video" {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) != 2 || dirs[0] != "recvonly" || dirs[1] != "sendonly" {
		t.Fatalf("the offer's video sections are %v, want [recvonly sendonly]", dirs)
	}
	sendClip(t, nil, track)
	videoShown(t, r, 640)
}
