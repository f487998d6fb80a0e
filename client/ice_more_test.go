package client

import (
	"context"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestRestartICEKeepsTheETag: after an ICE restart the client says the
// restart's ETag, a new one; a trickle of its candidates
// (If-Match: its ETag) is taken with a 204: no error, no answer, no ETag.
func TestRestartICEKeepsTheETag(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, Options{Server: srv.URL, Room: "etag", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Connected()
	first := c.ETag()
	etag, err := c.RestartICE(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if etag == "" || etag == first || c.ETag() != etag {
		t.Errorf("ETag %q at the join, %q from the restart, %q after it; want a new one, kept", first, etag, c.ETag())
	}
	frag, err := Fragment(c.pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	answer, trickled, err := c.Patch(ctx, etag, frag)
	if err != nil || answer != "" || trickled != "" {
		t.Errorf("a trickle: answer %q, ETag %q, %v; want none, none, no error", answer, trickled, err)
	}
}

// TestMergeFragmentNeedsBothCredentials: a server fragment with a ufrag
// and no password (or the other way round) is refused as such, not merged
// into a description whose ICE then fails to start.
func TestMergeFragmentNeedsBothCredentials(t *testing.T) {
	for _, frag := range []string{
		"a=ice-ufrag:newu\r\na=candidate:3 1 udp 1 127.0.0.1 6000 typ host\r\n",
		"a=ice-pwd:newpasswordnewpassword\r\na=candidate:3 1 udp 1 127.0.0.1 6000 typ host\r\n",
	} {
		if _, err := MergeFragment(twoSections, frag); err == nil {
			t.Errorf("a fragment with one credential merged: %q", frag)
		}
	}
}
