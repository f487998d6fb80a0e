package room

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestMuteToldWithItsKind: the room's moderator mutes a participant and
// a WHIP publisher alike (a camera's or a share's noise spoils the room
// as much); each participant_muted says whose session it is, its name
// and its kind, as participant_joined does, and whether it is muted now;
// the room's JSON says muted.
func TestMuteToldWithItsKind(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ann, _, err := m.Join(ctx, "x", "Ann", Participant, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)))
	if err != nil {
		t.Fatal(err)
	}
	cam, _, err := m.Join(ctx, "x", "cam", Publisher, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{ann, cam} {
		if err := r.SetMuted(s.ID, true); err != nil {
			t.Errorf("muting %s (%s): %v", s.Name, s.Kind, err)
		}
	}
	for _, p := range r.Info().Participants {
		if !p.Muted {
			t.Errorf("%s (%s) muted: the room's JSON says not muted", p.Name, p.Kind)
		}
	}
	told := map[string]Event{}
	for _, e := range l.all() {
		if e.Type == EventMuted {
			told[e.Session] = e
		}
	}
	for _, s := range []*Session{ann, cam} {
		e, ok := told[s.ID]
		switch {
		case !ok:
			t.Errorf("%s's mute not told", s.Name)
		case e.Name != s.Name || e.Kind != s.Kind.String() || e.Muted == nil || !*e.Muted:
			t.Errorf("%s's mute told as name %q, kind %q, muted %v; want %q, %q, true", s.Name, e.Name, e.Kind, e.Muted, s.Name, s.Kind)
		}
	}
}
