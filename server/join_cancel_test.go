package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/internal/testserver"
	"mcu/room"
)

// TestJoinGivenUpByClient: a client that gives up its join while the
// server still negotiates (mcu.js's Cancel, a tab closed mid-join) leaves
// no session behind: the join follows the request's context.
func TestJoinGivenUpByClient(t *testing.T) {
	// A STUN server that never answers: the server's gathering, and so
	// its join, takes the whole GatherTimeout.
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.ICEServers = []webrtc.ICEServer{{URLs: []string{fmt.Sprintf("stun:%s", silent.LocalAddr())}}}
		c.GatherTimeout = 3 * time.Second
		c.Net.LoopbackOnly = false // with it, no address to ask the STUN server from
	})
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/whip/gaveup", strings.NewReader(whipOffer(t)))
	req.Header.Set("Content-Type", "application/sdp")
	start := time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the join was answered in %v (%d): the server's gathering did not wait for the STUN server", time.Since(start), resp.StatusCode)
	}
	time.Sleep(4 * time.Second) // past the gather timeout
	if rm, err := srv.Rooms.Room("gaveup"); err == nil {
		t.Errorf("the join given up left its room open: %+v", rm.Info().Participants)
	}
}
