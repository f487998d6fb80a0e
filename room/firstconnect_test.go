package room

import (
	"context"
	"regexp"
	"testing"
	"time"
)

// TestNeverConnectedSessionEnds: a session whose client posts an offer and
// never connects (no candidates, the answer never applied) is ended after
// firstConnectTimeout, not held with its sockets and its place in the room
// until the peer timeout (here a minute; up to 10 min). A session that
// connected in time stays.
func TestNeverConnectedSessionEnds(t *testing.T) {
	saved := firstConnectTimeout
	t.Cleanup(func() { firstConnectTimeout = saved })
	firstConnectTimeout = 2 * time.Second
	cfg := DefaultConfig()
	cfg.Net.PeerTimeout = time.Minute
	m := testManagerWith(t, cfg)

	pc, _ := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)

	idle, _ := recvPeer(t)
	offer := regexp.MustCompile(`(?m)^a=candidate:.*\r\n`).ReplaceAllString(gatheredOffer(t, idle), "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _, err := m.Join(ctx, r.name, "", Participant, offer)
	if err != nil {
		t.Fatal(err)
	}
	listed := func(id string) bool { r.mu.Lock(); defer r.mu.Unlock(); return r.sessions[id] != nil }
	joined := time.Now()
	if !waitFor(8*time.Second, func() bool { return !listed(s.ID) }) {
		t.Fatalf("a session that never connected is still there %v after its join, with a first-connect limit of %v", time.Since(joined).Round(time.Millisecond), firstConnectTimeout)
	}
	if gone := time.Since(joined); gone < firstConnectTimeout-200*time.Millisecond {
		t.Errorf("the unconnected session went %v after its join, before its %v", gone.Round(time.Millisecond), firstConnectTimeout)
	}
	r.mu.Lock()
	n := len(r.sessions)
	r.mu.Unlock()
	if n != 1 {
		t.Errorf("%d sessions left, want the connected one", n)
	}
}
