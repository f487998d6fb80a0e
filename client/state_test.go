package client

import (
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestStateChange: connected is told once; the end is told once, by the
// first state that ends the connection, failed or closed.
func TestStateChange(t *testing.T) {
	for _, end := range []webrtc.PeerConnectionState{webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed} {
		c := &Client{connected: make(chan struct{}), ended: make(chan struct{})}
		c.stateChange(webrtc.PeerConnectionStateConnecting)
		select {
		case <-c.Connected():
			t.Fatal("connected while connecting")
		case <-c.Ended():
			t.Fatal("ended while connecting")
		default:
		}
		if st := c.EndState(); st != webrtc.PeerConnectionStateUnknown {
			t.Errorf("end state %v before the end", st)
		}
		c.stateChange(webrtc.PeerConnectionStateConnected)
		c.stateChange(webrtc.PeerConnectionStateDisconnected)
		c.stateChange(webrtc.PeerConnectionStateConnected) // told once
		select {
		case <-c.Connected():
		default:
			t.Fatal("not connected")
		}
		select {
		case <-c.Ended():
			t.Fatal("ended when disconnected for a while")
		default:
		}
		c.stateChange(end)
		c.stateChange(webrtc.PeerConnectionStateClosed) // Close after a failure
		select {
		case <-c.Ended():
		default:
			t.Fatalf("%v: not ended", end)
		}
		if st := c.EndState(); st != end {
			t.Errorf("ended %v, want %v", st, end)
		}
	}
}
