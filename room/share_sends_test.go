package room

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestShareWhoseVideoOnlyReceivesRefused: a share whose offer has a video
// section that only receives (recvonly), its sound sent, is refused as
// one without video is: no picture would come, and it would hold the
// speaker layout's large tile with a placeholder.
func TestShareWhoseVideoOnlyReceivesRefused(t *testing.T) {
	m := testManager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	for _, tr := range []struct {
		kind webrtc.RTPCodecType
		dir  webrtc.RTPTransceiverDirection
	}{{webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverDirectionRecvonly}, {webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverDirectionSendonly}} {
		if _, err := pc.AddTransceiverFromKind(tr.kind, webrtc.RTPTransceiverInit{Direction: tr.dir}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.Share(ctx, "x", "screen", gatheredOffer(t, pc), ""); !errors.Is(err, ErrBadOffer) {
		t.Errorf("a share whose video only receives: %v, want %v", err, ErrBadOffer)
	}
}
