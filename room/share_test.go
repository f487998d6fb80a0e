package room

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/layout"
)

// TestShareIsToldAsContent: a share (Manager.Share) is a publisher whose
// picture is content: its join's event and its session's JSON say so,
// and the room, in the grid, is in the speaker layout while it lasts; a
// publisher that joins otherwise is a camera.
func TestShareIsToldAsContent(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	camera, _, err := m.Join(ctx, "x", "cam", Publisher, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	if mode := r.Info().Layout; mode != layout.Grid {
		t.Fatalf("layout %v with a camera alone, want the grid", mode)
	}
	screen, _, err := m.Share(ctx, "x", "screen", gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly)), "")
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if info.Layout != layout.Speaker {
		t.Errorf("layout %v during the share, want speaker", info.Layout)
	}
	for _, p := range info.Participants {
		if p.Content != (p.ID == screen.ID) || p.Kind != "publisher" {
			t.Errorf("session %s (%s): content %v, kind %s; want content for the share alone, both publishers", p.ID, p.Name, p.Content, p.Kind)
		}
	}
	joins := slices.DeleteFunc(l.all(), func(e Event) bool { return e.Type != EventJoined })
	if len(joins) != 2 || joins[0].Session != camera.ID || joins[0].Content || joins[1].Session != screen.ID || !joins[1].Content {
		t.Errorf("joined events %+v: want the camera's without content, then the share's with it", joins)
	}
	if err := m.Leave("x", screen.Key()); err != nil {
		t.Fatal(err)
	}
	if mode := r.Info().Layout; mode != layout.Grid {
		t.Errorf("layout %v after the share, want the grid again", mode)
	}
}
