package room

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/transport/v4/packetio"
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

// TestStreamBuffersPastTheFirstAreSmall: a peer's first RTP streams get
// pion's 1 MB buffer; later ones (SSRCs the peer made up, which pion keeps
// open unread) a small one, so that they cannot pin a megabyte each.
func TestStreamBuffersPastTheFirstAreSmall(t *testing.T) {
	var g streamGuard
	packet := make([]byte, 1000)
	fill := func(b io.Writer, bytes int) error {
		for range bytes / len(packet) {
			if _, err := b.Write(packet); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range fullRTPStreams + 2 {
		b := g.buffer(packetio.RTPBufferPacket, uint32(i))
		err := fill(b, 2*smallRTPBuffer)
		if full := i >= fullRTPStreams; full != errors.Is(err, packetio.ErrFull) {
			t.Errorf("RTP stream %d holding %d bytes: %v", i, 2*smallRTPBuffer, err)
		}
		b.Close()
	}
}
