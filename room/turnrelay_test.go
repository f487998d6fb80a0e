package room

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"
)

// loopbackTURN starts a TURN server on loopback (UDP and TCP on one
// port), user u, password p, and returns its address.
func loopbackTURN(t *testing.T) string {
	t.Helper()
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", udp.LocalAddr().String())
	if err != nil {
		udp.Close()
		t.Skipf("TCP port of the TURN server: %v", err)
	}
	key := turn.GenerateAuthKey("u", "mcu", "p")
	relay := func() turn.RelayAddressGenerator {
		return &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"}
	}
	srv, err := turn.NewServer(turn.ServerConfig{
		Realm: "mcu",
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			return ra.Username, key, ra.Username == "u"
		},
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: relay()}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: relay()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return udp.LocalAddr().String()
}

// TestServerGathersRelayCandidates: with -ice-server turn:..., over UDP and
// over TCP, the server's answer holds a relay candidate, and the mix
// comes.
func TestServerGathersRelayCandidates(t *testing.T) {
	addr := loopbackTURN(t)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"turn:" + addr + "?transport=" + transport}, Username: "u", Credential: "p"}}
			m := testManagerWith(t, cfg)
			pc, packets := recvPeer(t)
			start := time.Now()
			_, answer := joinRoom(t, m, Participant, pc)
			if took := time.Since(start); !strings.Contains(answer, " typ relay ") {
				t.Errorf("no relay candidate in the answer (in %v):\n%s", took, answer)
			}
			if !waitFor(10*time.Second, func() bool { return packets.Load() > 10 }) {
				t.Errorf("%d packets of the mix", packets.Load())
			}
		})
	}
}

// TestRelayOnlyClientGetsMix: a client whose only candidate is a TURN
// relay (a browser with iceTransportPolicy "relay", a corporate network)
// receives the mix.
func TestRelayOnlyClientGetsMix(t *testing.T) {
	addr := loopbackTURN(t)
	m := testManager(t)
	me := clientEngine(t, videoCodecs[0])
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me))
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: []string{"turn:" + addr + "?transport=udp"}, Username: "u", Credential: "p"}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	video := make(chan struct{})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		for n := 0; ; n++ {
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
			if n == 10 {
				close(video)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	joinConnected(t, m, Participant, pc)
	if offer := pc.LocalDescription().SDP; strings.Contains(offer, " typ host ") || !strings.Contains(offer, " typ relay ") {
		t.Fatalf("the client's offer is not relay-only:\n%s", offer)
	}
	select {
	case <-video:
	case <-ctx.Done():
		t.Fatal("no mix over the relay")
	}
}
