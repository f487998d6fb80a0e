package room

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestRemovalsRemembered: every session the room's moderator removed of
// late, not only the last, is told why it is over (ErrRemoved, the
// server's 410) when its client comes back with its key: a client told
// ErrNotFound instead may take its session for lost and join again by
// itself. One that left by itself is not told it was removed.
func TestRemovalsRemembered(t *testing.T) {
	m := testManagerWith(t, DefaultConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	join := func(name string) *Session {
		t.Helper()
		s, _, err := m.Join(ctx, "x", name, Participant, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	host := join("host") // keeps the room open
	var removed []*Session
	for _, name := range []string{"a", "b", "c"} {
		removed = append(removed, join(name))
	}
	quitter := join("quitter")
	for _, s := range removed {
		if err := m.Remove("x", s.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Leave("x", quitter.Key()); err != nil {
		t.Fatal(err)
	}
	for _, s := range removed {
		if _, err := m.SessionRoom("x", s.Key()); !errors.Is(err, ErrRemoved) {
			t.Errorf("%s, removed: %v, want ErrRemoved", s.Name, err)
		}
	}
	if _, err := m.SessionRoom("x", quitter.Key()); !errors.Is(err, ErrNotFound) {
		t.Errorf("one that left by itself: %v, want ErrNotFound", err)
	}
	if _, err := m.SessionRoom("x", host.Key()); err != nil {
		t.Errorf("the host, still there: %v", err)
	}
}
