package room

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/layout"
)

// TestShareWithoutVideoRefused: a share (Manager.Share) whose offer sends
// no video is refused: it would hold the speaker layout's large tile, and
// turn a room in the grid to that layout, with a placeholder in place of
// the speaker for as long as it lasts.
func TestShareWithoutVideoRefused(t *testing.T) {
	m := testManager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := m.Join(ctx, "x", "cam", Publisher, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly))); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Share(ctx, "x", "screen", gatheredOffer(t, pc), ""); !errors.Is(err, ErrBadOffer) {
		t.Errorf("a share of sound alone: %v, want %v", err, ErrBadOffer)
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	if info := r.Info(); info.Layout != layout.Grid || len(info.Participants) != 1 {
		t.Errorf("layout %v, %d participants; want the grid, the camera alone", info.Layout, len(info.Participants))
	}
}
