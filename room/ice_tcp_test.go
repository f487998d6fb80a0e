package room

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestTrickledTCPCandidatesNotKept: a client's trickled TCP candidates are
// of no use to a server that gathers UDP alone, and are not counted by
// maxOfferCandidates: given to pion, each was kept in the session's ICE
// agent until the session ended, and a client PATCHing again and again
// made the server hold ever more (18,000 in 20 PATCHes, 21 MB).
func TestTrickledTCPCandidatesNotKept(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, _, err := m.Join(ctx, "x", "", Participant, gatheredOffer(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	remote := func() int {
		n := 0
		for _, st := range s.pc.GetStats() {
			if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeRemoteCandidate {
				n++
			}
		}
		return n
	}
	before := remote()
	const per, patches = 900, 3 // 900 lines are under the 64 KiB body limit
	for i := range patches {
		var b strings.Builder
		b.WriteString("a=mid:0\r\n")
		for j := range per {
			fmt.Fprintf(&b, "a=candidate:%d 1 tcp 1 127.0.0.1 %d typ host tcptype passive\r\n", i*per+j, 1024+i*per+j)
		}
		if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), b.String()); err != nil {
			t.Fatalf("trickle %d: %v", i, err)
		}
	}
	waitFor(2*time.Second, func() bool { return remote()-before > maxOfferCandidates })
	if got := remote() - before; got > maxOfferCandidates {
		t.Errorf("the session's ICE agent holds %d more remote candidates after %d trickled TCP ones (at most %d UDP addresses are taken)", got, per*patches, maxOfferCandidates)
	}
}
