package room

// The limit of maxOfferCandidates addresses holds per restart, and a
// session's restarts are limited too: unlimited, one session aimed the
// server's checks at ever more addresses, as fast as it sent PATCHes.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSecurityRestartsBoundChecks(t *testing.T) {
	const targets = maxOfferCandidates
	var counters []*atomic.Int64
	var cands strings.Builder
	for i := range targets {
		port, got, _ := udpTarget(t)
		counters = append(counters, got)
		fmt.Fprintf(&cands, "a=candidate:%d 1 udp 1 127.0.0.1 %d typ host\r\n", 2000+i, port)
	}
	m := testManager(t)
	pc, _ := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)
	s := onlySession(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rand.IntN(len(letters))]
		}
		return string(b)
	}
	restarts, refused, sent := 0, 0, 0
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		body := "a=ice-ufrag:" + random(8) + "\r\na=ice-pwd:" + random(24) + "\r\na=mid:0\r\n" + cands.String()
		sent += len(body)
		if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", body); err != nil {
			refused++
			continue
		}
		restarts++
	}
	time.Sleep(500 * time.Millisecond)
	var datagrams int64
	for _, c := range counters {
		datagrams += c.Load()
	}
	t.Logf("3 s: %d restarts taken, %d refused, %d bytes of PATCH bodies; the %d target addresses got %d checks (~%d bytes)",
		restarts, refused, sent, targets, datagrams, datagrams*100)
	// A client whose network changed needs one restart, retried every
	// 2 s (mcu.js); at most a few in 3 s.
	if restarts > 8 { // 4 at once and one a second would be 7
		t.Errorf("%d ICE restarts of one session taken within 3 s, each aiming the server's checks at %d addresses of the client's choosing", restarts, targets)
	}
}
