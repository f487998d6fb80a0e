package room

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// TestPeerOpeningTooManyStreamsIsClosed: a viewer whose RTCP names ever
// new SSRCs makes pion open a stream, with its buffer, for each. Past
// maxStreams the server closes that peer, and its session ends.
func TestPeerOpeningTooManyStreamsIsClosed(t *testing.T) {
	m := testManager(t)
	pc := lossyClient(t, 1<<30) // drops nothing
	joinConnected(t, m, Viewer, pc)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Receiver reports of 31 blocks each (the most one holds), about SSRCs
	// the server never sent: well past maxStreams in all.
	ssrc := uint32(1 << 20)
	for range maxStreams/31 + 2 {
		rr := &rtcp.ReceiverReport{SSRC: 1}
		for range 31 {
			rr.Reports = append(rr.Reports, rtcp.ReceptionReport{SSRC: ssrc})
			ssrc++
		}
		if err := pc.WriteRTCP([]rtcp.Packet{rr}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		if _, err := m.Room("x"); errors.Is(err, ErrNotFound) {
			return // the viewer's session ended, and with it the room
		}
		select {
		case <-ctx.Done():
			t.Fatal("the viewer is still in the room 10 s after opening too many streams")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
