package mediatest

import (
	"net"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// ViewerOffer is an offer to receive audio and video (a viewer's), on
// loopback with every candidate gathered, from a peer that never takes
// the answer: a client that vanishes after posting, or one that posts
// offers to hold places. The peer is closed when the test ends.
func ViewerOffer(t testing.TB) string {
	t.Helper()
	return ReceivingOffer(t, nil, webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
}

// ReceivingOffer is ViewerOffer with the formats of me (nil: pion's
// defaults), receiving the given kinds of media.
func ReceivingOffer(t testing.TB, me *webrtc.MediaEngine, kinds ...webrtc.RTPCodecType) string {
	t.Helper()
	if me == nil {
		me = &webrtc.MediaEngine{}
		if err := me.RegisterDefaultCodecs(); err != nil {
			t.Fatal(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
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
