package room

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// atOneAddress is n candidate lines, all at 127.0.0.1:port, told apart by
// their related address alone (raddr, rport: the client's free text).
func atOneAddress(n, port, from int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "a=candidate:%d 1 udp 1 127.0.0.1 %d typ srflx raddr 10.%d.%d.%d rport %d\r\n", i, port, (i>>16)&255, (i>>8)&255, i&255, 1+i%60000)
	}
	return b.String()
}

// TestCandidatesAtOneAddressCount: the bound on a client's candidates
// (maxOfferCandidates) counts candidates as pion tells them apart, not by
// address: pion pairs and checks each candidate whose related address
// differs, so counted by address one session's trickles could aim the
// server's checks at one address without bound (2,000 trickled candidates:
// 32,000 datagrams to it in 12 s).
func TestCandidatesAtOneAddressCount(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	offer := gatheredOffer(t, pc)
	tooMany := strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\n"+atOneAddress(maxOfferCandidates+1, 9, 0), 1)
	if _, _, err := m.Join(ctx, "x", "", Participant, tooMany); !errors.Is(err, ErrBadOffer) {
		t.Errorf("an offer of %d candidates at one address: %v, want ErrBadOffer", maxOfferCandidates+1, err)
	}

	// Trickled: the client's own candidates left out, as an attacker's
	// session that never connects.
	bare := regexp.MustCompile(`(?m)^a=candidate:.*\r\n`).ReplaceAllString(offer, "")
	s, _, err := m.Join(ctx, "y", "", Participant, bare)
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for i := range 4 {
		if _, _, err := m.PatchICE(ctx, "y", s.Key(), s.ETag(), "a=mid:0\r\n"+atOneAddress(30, 9, i*30)); err == nil {
			taken += 30
		} else if !errors.Is(err, ErrBadFragment) {
			t.Fatalf("trickle %d: %v", i, err)
		}
	}
	if taken > maxOfferCandidates {
		t.Errorf("%d candidates at one address taken by trickles, want at most %d", taken, maxOfferCandidates)
	}
	// The same candidate again is no new one.
	if _, _, err := m.PatchICE(ctx, "y", s.Key(), s.ETag(), "a=mid:0\r\n"+atOneAddress(30, 9, 0)); err != nil {
		t.Errorf("candidates given before, again: %v", err)
	}
}
