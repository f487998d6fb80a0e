package room

import (
	"context"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestPublisherSendrecvVP9Taken: checkReceivable exempts WHIP
// publishers (they receive nothing). A publisher whose sections are
// sendrecv (some WHIP clients offer so) with VP9 video only must still be
// taken; nothing pinned the exemption (a mutant checking publishers too
// passed every test of the package).
func TestPublisherSendrecvVP9Taken(t *testing.T) {
	m := testManager(t)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000, SDPFmtpLine: "profile-id=0"}, PayloadType: 98}, webrtc.RTPCodecTypeVideo); err != nil {
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
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
			t.Fatal(err)
		}
	}
	s, _, err := m.Join(context.Background(), "pub", "", Publisher, gatheredOffer(t, pc))
	if err != nil {
		t.Fatalf("a WHIP publisher offering VP9 sendrecv: %v", err)
	}
	m.End("pub", s.ID)
}
