package room

// A client's ICE candidates of TCP, tcptype passive, would make a server
// with active ICE-TCP dial any address and port they name, uncounted by
// the limit of maxOfferCandidates (UDP addresses only): the server takes
// UDP alone and dials none.

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tcpTargets opens n TCP listeners on loopback, counting the connections
// they accept (and keeping the first bytes one was sent), and returns
// candidate lines naming them as passive ICE-TCP candidates.
func tcpTargets(t *testing.T, n int) (lines string, accepted *atomic.Int64, first func() []byte) {
	t.Helper()
	accepted = &atomic.Int64{}
	var mu sync.Mutex
	var got []byte
	var b strings.Builder
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				go func() {
					defer c.Close()
					buf := make([]byte, 128)
					c.SetReadDeadline(time.Now().Add(3 * time.Second))
					k, _ := io.ReadAtLeast(c, buf, 20)
					mu.Lock()
					if got == nil && k > 0 {
						got = buf[:k]
					}
					mu.Unlock()
				}()
			}
		}()
		fmt.Fprintf(&b, "a=candidate:%d 1 tcp 1 127.0.0.1 %d typ host tcptype passive\r\n", 1000+i, ln.Addr().(*net.TCPAddr).Port)
	}
	return b.String(), accepted, func() []byte { mu.Lock(); defer mu.Unlock(); return got }
}

// TestSecurityOfferTCPCandidatesNotDialed: an offer naming 100 passive
// TCP candidates (over maxOfferCandidates) is taken, and the server must
// not open TCP connections to them.
func TestSecurityOfferTCPCandidatesNotDialed(t *testing.T) {
	const n = 2 * maxOfferCandidates
	lines, accepted, first := tcpTargets(t, n)
	m := testManager(t)
	pc, _ := recvPeer(t)
	offer := gatheredOffer(t, pc)
	if !strings.Contains(offer, "a=mid:0\r\n") {
		t.Fatal("no a=mid:0 in the offer")
	}
	offer = strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\n"+lines, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := m.Join(ctx, "x", "", Participant, offer); err != nil {
		t.Logf("join refused: %v (a refusal is a fix too)", err)
		return
	}
	time.Sleep(3 * time.Second)
	if got := accepted.Load(); got > 0 {
		t.Errorf("the server opened %d TCP connections to the %d addresses an offer named (over the limit of %d); first bytes sent: %s",
			got, n, maxOfferCandidates, hex.EncodeToString(first()))
	}
}

// TestSecurityTrickledTCPCandidatesNotDialed: the same through a trickle
// (PATCH), which a client may send again and again.
func TestSecurityTrickledTCPCandidatesNotDialed(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)
	s := onlySession(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	total := 0
	var accepted []*atomic.Int64
	for range 3 { // three trickles of 100 each
		lines, acc, _ := tcpTargets(t, 100)
		accepted = append(accepted, acc)
		if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), "a=mid:0\r\n"+lines); err != nil {
			t.Logf("trickle refused: %v", err)
			continue
		}
		total += 100
	}
	time.Sleep(3 * time.Second)
	var got int64
	for _, a := range accepted {
		got += a.Load()
	}
	if got > 0 {
		t.Errorf("the server opened %d TCP connections to the %d trickled TCP candidates (limit for UDP: %d addresses in all)", got, total, maxOfferCandidates)
	}
}
