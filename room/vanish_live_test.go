package room

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/transport/v4"
	"github.com/pion/transport/v4/stdnet"
	"github.com/pion/webrtc/v4"
)

// cuttableNet is the host's network whose UDP sockets (all that pion's
// host candidates use) fall silent both ways, without an error, once cut
// is set.
type cuttableNet struct {
	*stdnet.Net
	cut *atomic.Bool
}

func (n *cuttableNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &cuttableConn{c, n.cut}, nil
}

// cuttableConn drops what pion's ICE candidates send and receive
// (WriteTo, ReadFrom) once cut is set.
type cuttableConn struct {
	transport.UDPConn
	cut *atomic.Bool
}

func (c *cuttableConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *cuttableConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

// TestVanishedNetwork: a participant whose network vanishes, with no DTLS
// close and no DELETE, is removed once the server's ICE fails, about 15 s
// later (5 s to disconnected, 10 s more to failed), not pion's ~30 s.
func TestVanishedNetwork(t *testing.T) {
	m := testManager(t)
	var cut atomic.Bool
	base, err := stdnet.NewNet()
	if err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(&cuttableNet{base, &cut})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(clientEngine(t, videoCodecs[0])), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	r := joinSendingClip(t, m, pc)
	videoShown(t, r, 640)

	cut.Store(true)
	start := time.Now()
	waitUntil(t, "the participant removed after its network vanished", 25*time.Second, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.sessions) == 0
	})
	took := time.Since(start)
	t.Logf("removed %v after the network vanished", took.Round(100*time.Millisecond))
	if took < 4*time.Second || took > 22*time.Second {
		t.Fatalf("removed %v after the network vanished, want 4 s to 22 s (ICE: 5 s to disconnected, 10 s to failed; pion alone: 30 s)", took)
	}
}
