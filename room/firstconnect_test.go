package room

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNeverConnectedSessionEnds: a session whose client posts an offer and
// never connects (no candidates, the answer never applied) is ended after
// firstConnectTimeout, not held with its sockets and its place in the room
// until the peer timeout (here a minute; up to 10 min), and its leave says
// it never connected. A session that connected in time stays.
func TestNeverConnectedSessionEnds(t *testing.T) {
	saved := firstConnectTimeout
	t.Cleanup(func() { firstConnectTimeout = saved })
	firstConnectTimeout = 2 * time.Second
	cfg := DefaultConfig()
	cfg.Net.PeerTimeout = time.Minute
	var l eventLog
	cfg.Events = l.add
	obs := &sessionsObserver{}
	cfg.Observer = obs
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
	// The leave is told after the session's peer is closed, a moment
	// after it is out of the list.
	if !waitFor(5*time.Second, func() bool { _, left := obs.counts(); return len(left) > 0 }) {
		t.Error("no leave told 5 s after the session went from the list")
	}
	leftAs(t, &l, s.ID, LeftNeverConnected)
	if joined, left := obs.counts(); joined != 2 || !maps.Equal(left, map[string]int{LeftNeverConnected: 1}) {
		t.Errorf("the observer counted %d joins and leaves %v, want 2 and one never connected", joined, left)
	}
}

// sessionsObserver counts the sessions joined and left (by why), from any
// goroutine.
type sessionsObserver struct {
	nopObserver
	mu     sync.Mutex
	joined int
	left   map[string]int
}

func (o *sessionsObserver) Joined(Kind) { o.mu.Lock(); o.joined++; o.mu.Unlock() }
func (o *sessionsObserver) Left(_ Kind, why string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.left == nil {
		o.left = map[string]int{}
	}
	o.left[why]++
}

func (o *sessionsObserver) counts() (int, map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.joined, maps.Clone(o.left)
}

// leftAs checks that session id's participant_left says why.
func leftAs(t *testing.T, l *eventLog, id, why string) {
	t.Helper()
	for _, e := range l.all() {
		if e.Type == EventLeft && e.Session == id {
			if e.Reason != why {
				t.Errorf("the session's participant_left says %q, want %q", e.Reason, why)
			}
			return
		}
	}
	t.Errorf("no participant_left for session %s", id)
}

// TestFailedBeforeConnectingSaysSo: a client whose ICE gives up before it
// ever connected (the peer timeout's checks, here 4 s) leaves as one that
// never connected, not as one whose network went: many of them are a
// network that lets no media through.
func TestFailedBeforeConnectingSaysSo(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Net.PeerTimeout = 4 * time.Second
	var l eventLog
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	pc, _ := recvPeer(t)
	// Only a candidate nobody answers at: the server's checks go
	// unanswered until its ICE fails.
	offer := regexp.MustCompile(`(?m)^a=candidate:.*\r\n`).ReplaceAllString(gatheredOffer(t, pc), "")
	offer = strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _, err := m.Join(ctx, "x", "", Participant, offer)
	if err != nil {
		t.Fatal(err)
	}
	if !waitFor(20*time.Second, func() bool { return m.room("x") == nil }) {
		t.Fatal("the session that never connected is still there 20 s after its join, with a 4 s peer timeout")
	}
	leftAs(t, &l, s.ID, LeftNeverConnected)
}
