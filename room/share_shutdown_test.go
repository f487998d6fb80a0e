package room

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestSharesEndedWithTheServer: at the server's stop every session,
// a share too, leaves as "ended", whether its owner was let go before
// it (then its shares with them) or after: not "owner_left" by chance
// of a map's order, which a webhook's receiver or mcu_sessions_left_total
// would read as a sharer gone.
func TestSharesEndedWithTheServer(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 6 { // each room's owner let go first about one time in two
		room := fmt.Sprintf("r%d", i)
		ann, _, err := m.Join(ctx, room, "Ann", Participant, gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Share(ctx, room, "Ann's screen", gatheredOffer(t, mediaPeer(t, webrtc.RTPTransceiverDirectionSendonly)), ann.Key()); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range l.all() {
		if e.Type == EventLeft && e.Reason != LeftEnded {
			t.Errorf("at the server's stop %s (%s) left for %q, want %q", e.Session, e.Name, e.Reason, LeftEnded)
		}
	}
}
