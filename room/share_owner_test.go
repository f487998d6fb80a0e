package room

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestShareOwnedByAParticipant: a share naming its owner's session key
// (Manager.Share) says whose it is in its join's event and its JSON, and
// ends when they leave, told as owner_left; one whose owner leaves while
// it joins is refused (ErrNotFound) and leaves nothing behind; a
// publisher's key is ErrBadOwner.
func TestShareOwnedByAParticipant(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sendonly := func() string { return gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly)) }
	ann, _, err := m.Join(ctx, "x", "Ann", Participant, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)))
	if err != nil {
		t.Fatal(err)
	}
	camera, _, err := m.Join(ctx, "x", "cam", Publisher, sendonly())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Share(ctx, "x", "screen", sendonly(), camera.Key()); !errors.Is(err, ErrBadOwner) {
		t.Errorf("a share owned by a publisher: %v, want ErrBadOwner", err)
	}
	screen, _, err := m.Share(ctx, "x", "", sendonly(), ann.Key())
	if err != nil {
		t.Fatal(err)
	}
	if screen.Name != "Ann (screen)" {
		t.Errorf("a nameless share of Ann's is named %q, want %q", screen.Name, "Ann (screen)")
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Info().Participants {
		if want := map[string]string{screen.ID: ann.ID}[p.ID]; p.Owner != want {
			t.Errorf("session %s (%s): owner %q, want %q", p.ID, p.Name, p.Owner, want)
		}
	}
	if err := m.Leave("x", ann.Key()); err != nil {
		t.Fatal(err)
	}
	var left []Event
	for _, e := range l.all() {
		switch {
		case e.Type == EventJoined && e.Session == screen.ID && e.Owner != ann.ID:
			t.Errorf("the share's join told its owner as %q, want %q", e.Owner, ann.ID)
		case e.Type == EventLeft:
			left = append(left, e)
		}
	}
	if len(left) != 2 || left[0].Session != ann.ID || left[1].Session != screen.ID || left[1].Reason != LeftWithOwner {
		t.Errorf("left events %+v: want Ann's, then her share's for %s", left, LeftWithOwner)
	}
	if ids := slices.Collect(func(yield func(string) bool) {
		for _, p := range r.Info().Participants {
			yield(p.ID)
		}
	}); !slices.Equal(ids, []string{camera.ID}) {
		t.Errorf("after Ann's leave the room holds %v, want the camera %s alone", ids, camera.ID)
	}

	// Bob leaves while his share is negotiated: it is not listed.
	bob, _, err := m.Join(ctx, "x", "Bob", Participant, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { negotiated = func(*Session) {} })
	negotiated = func(s *Session) {
		if s.Kind == Publisher {
			m.Leave("x", bob.Key())
		}
	}
	if _, _, err := m.Share(ctx, "x", "Bob's screen", sendonly(), bob.Key()); !errors.Is(err, ErrNotFound) {
		t.Errorf("a share whose owner left while it joined: %v, want ErrNotFound", err)
	}
	if n := len(r.Info().Participants); n != 1 {
		t.Errorf("after Bob's leave and his share's refusal the room holds %d sessions, want the camera alone", n)
	}
}
