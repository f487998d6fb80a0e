package room

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestHalfRateFailedJoinsLeaveNothing: a join given up while the server
// gathers its candidates (the client's request cancelled: a STUN server
// that does not answer, a client that stopped waiting) leaves no
// half-rate flag behind, neither the track's nor the room's: a room open
// for hours would otherwise keep one of each for every such join.
func TestHalfRateFailedJoinsLeaveNothing(t *testing.T) {
	cfg := DefaultConfig()
	// A STUN server that never answers: a socket nobody reads.
	mute, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	cfg.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{"stun:" + mute.LocalAddr().String()}}}
	cfg.GatherTimeout = 5 * time.Second
	m := testManagerWith(t, cfg)
	pc, _ := recvPeer(t)
	offer := gatheredOffer(t, pc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	joined := make(chan error, 1)
	go func() {
		_, _, err := m.Join(ctx, "x", "", Participant, offer)
		joined <- err
	}()
	// A second join keeps the room open.
	time.Sleep(100 * time.Millisecond)
	for range 3 {
		gone, give := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, _, err := m.Join(gone, "x", "", Participant, offer)
		give()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a join given up: %v, want the context's error", err)
		}
	}
	r := m.room("x")
	if r == nil {
		t.Fatal("room x is gone")
	}
	r.downlink.mu.Lock()
	halves := len(r.downlink.halves)
	r.downlink.mu.Unlock()
	track := r.output(0).track
	track.writersMu.Lock()
	flags := len(track.halves)
	track.writersMu.Unlock()
	if halves != 1 || flags != 1 {
		t.Errorf("after 1 join and 3 given up: the room holds %d receivers' half rates, the track %d flags; want 1 and 1", halves, flags)
	}
	if err := <-joined; err != nil {
		t.Fatal(err)
	}
}
