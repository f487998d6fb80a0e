package room

import (
	"context"
	"testing"
	"time"
)

// TestICERestartQuotedStar: an ICE restart asked with If-Match: "*", as
// the WHIP drafts' own example of a restart writes it (and clients copy
// it), restarts ICE as If-Match: * does; it was refused 412, as a tag
// the session no longer has, and such a client could never restart.
func TestICERestartQuotedStar(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, _, err := m.Join(ctx, "x", "", Participant, gatheredOffer(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	for i, ifMatch := range []string{"*", `"*"`} {
		etag := s.ETag()
		frag := "a=ice-ufrag:new" + string(rune('a'+i)) + "\r\na=ice-pwd:abcdefghijklmnopqrstu" + string(rune('a'+i)) + "\r\n"
		answer, tag, err := m.PatchICE(ctx, "x", s.Key(), ifMatch, frag)
		if err != nil || answer == "" || tag == etag {
			t.Errorf("If-Match: %s: %v (answer %d bytes, ETag %s, before %s); want a restart", ifMatch, err, len(answer), tag, etag)
		}
	}
}
