package room

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"mcu/mixer"
)

// TestAudioLossReachesMixer feeds a session's audio RTCP reader (readRTCP
// with the session's handler) the reports a receiver sends and checks the
// loss the room's full mix encoder then expects: only blocks about the
// audio stream count, from receiver and sender reports, rounded up to
// whole percent, and none once the session has closed.
func TestAudioLossReachesMixer(t *testing.T) {
	const audioSSRC, videoSSRC = 0x1111, 0x2222
	for _, c := range []struct {
		name   string
		pkts   []rtcp.Packet
		closed bool
		want   int // percent
	}{
		{"receiver report", []rtcp.Packet{&rtcp.ReceiverReport{SSRC: 9, Reports: []rtcp.ReceptionReport{
			{SSRC: videoSSRC, FractionLost: 255}, {SSRC: audioSSRC, FractionLost: 51}}}}, false, 20},
		{"sender report", []rtcp.Packet{&rtcp.SenderReport{SSRC: 9, Reports: []rtcp.ReceptionReport{
			{SSRC: audioSSRC, FractionLost: 26}}}}, false, 11},
		{"one packet lost", []rtcp.Packet{&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{
			{SSRC: audioSSRC, FractionLost: 1}}}}, false, 1},
		{"only the video's", []rtcp.Packet{&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{
			{SSRC: videoSSRC, FractionLost: 128}}}, &rtcp.PictureLossIndication{MediaSSRC: videoSSRC}}, false, 0},
		{"after close", []rtcp.Packet{&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{
			{SSRC: audioSSRC, FractionLost: 51}}}}, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testRoomWithMixer(t)
			s := &Session{ID: "viewer", Kind: Viewer, room: r, closed: c.closed}
			reads := 0
			readRTCP(func() ([]rtcp.Packet, interceptor.Attributes, error) {
				if reads++; reads > 1 {
					return nil, nil, io.EOF
				}
				return c.pkts, nil, nil
			}, s.audioLoss(audioSSRC))
			// The mixer takes reports at its audio ticks.
			if err := r.mixer.Run(context.Background(), mixer.AsFastAsPossible(), 40*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if got := r.mixer.AudioLoss(); got != c.want {
				t.Errorf("full mix expects %d %% loss, want %d", got, c.want)
			}
		})
	}
}

// testRoomWithMixer is a room with its outgoing tracks (bound to nobody)
// and a mixer that is not running.
func testRoomWithMixer(t *testing.T) *Room {
	t.Helper()
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	audio, err := newAudioTrack("audio", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	r := &Room{log: slog.New(slog.DiscardHandler), obs: nopObserver{}, vp8: composite{track: video}, audio: audio, sessions: map[string]*Session{}}
	cfg := DefaultConfig().Mixer
	cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS = 320, 180, 5
	cfg.Logger = r.log
	if r.mixer, err = mixer.New(cfg, r); err != nil {
		t.Fatal(err)
	}
	r.downlink = newDownlink(cfg.Video.Bitrate, cfg.Video.Bitrate, r.mixer.SetBitrate)
	return r
}

// TestAudioLossLive: a pion client joins and loses every fourth audio
// packet on the way in (before its receiver reports count them); the
// reports it sends about the audio it gets, through pion to the session's
// audio sender, must make the room's full mix expect 25 % loss (the most
// the mixer takes). A viewer gets the shared full-mix track, a participant
// a track of its own.
func TestAudioLossLive(t *testing.T) {
	for _, kind := range []Kind{Viewer, Participant} {
		t.Run(kind.String(), func(t *testing.T) {
			m := testManager(t)
			r, _ := joinRoom(t, m, kind, lossyClient(t, 4))
			// pion's client reports once a second.
			deadline := time.Now().Add(8 * time.Second)
			for r.Info().Mixer.AudioLoss != 25 {
				if time.Now().After(deadline) {
					t.Fatalf("the full mix expects %d %% loss 8 s after the join, want 25 (room's JSON: %d)", r.mixer.AudioLoss(), r.Info().Mixer.AudioLoss)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// lossyClient is a receive-only pion PeerConnection, with pion's RTCP
// reports, that throws away every nth audio packet it receives.
func lossyClient(t *testing.T, n int) *webrtc.PeerConnection {
	t.Helper()
	return dropClient(t, &dropPackets{mime: webrtc.MimeTypeOpus, n: n})
}

// dropClient is a receive-only pion PeerConnection, with pion's RTCP
// reports, that throws away the packets drop says.
func dropClient(t *testing.T, drop *dropPackets) *webrtc.PeerConnection {
	t.Helper()
	me := clientEngine(t, videoCodecs[0])
	reg := &interceptor.Registry{}
	reg.Add(drop) // first: the reports count what it leaves
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, me, reg)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, maxPacket)
		for {
			if _, _, err := track.Read(buf); err != nil {
				return
			}
		}
	})
	return pc
}

// dropPackets is an interceptor factory (and the interceptor) that drops
// every nth packet of each incoming stream of type mime, while off is not
// set.
type dropPackets struct {
	interceptor.NoOp
	mime string
	n    int
	off  atomic.Bool
}

func (d *dropPackets) NewInterceptor(string) (interceptor.Interceptor, error) { return d, nil }

func (d *dropPackets) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !strings.EqualFold(info.MimeType, d.mime) {
		return r
	}
	count := 0
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, a, err := r.Read(b, a)
			if count++; err != nil || d.off.Load() || count%d.n != 0 {
				return n, a, err
			}
		}
	})
}
