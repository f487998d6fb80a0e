package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

const twoSections = "v=0\r\no=- 7 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:oldu\r\na=ice-pwd:oldpasswordoldpassword\r\n" +
	"a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\na=end-of-candidates\r\na=rtpmap:111 opus/48000/2\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=ice-ufrag:oldu\r\na=ice-pwd:oldpasswordoldpassword\r\n" +
	"a=candidate:2 1 udp 2130706431 10.0.0.2 5002 typ host\r\na=rtpmap:96 VP8/90000\r\n"

// TestFragment: a description's ICE as a fragment: its credentials, its
// first section's line and mid, and the candidates of every section.
func TestFragment(t *testing.T) {
	got, err := Fragment(twoSections)
	if err != nil {
		t.Fatal(err)
	}
	want := "a=ice-ufrag:oldu\r\na=ice-pwd:oldpasswordoldpassword\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n" +
		"a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\na=candidate:2 1 udp 2130706431 10.0.0.2 5002 typ host\r\na=end-of-candidates\r\n"
	if got != want {
		t.Errorf("fragment\n%q\nwant\n%q", got, want)
	}
	if _, err := Fragment("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"); err == nil {
		t.Error("a description without media: no error")
	}
}

// TestMergeFragment: the server's fragment replaces the credentials
// everywhere and the candidates, all of them put in the first section
// with their end; the description's version goes up.
func TestMergeFragment(t *testing.T) {
	frag := "a=ice-ufrag:newu\r\na=ice-pwd:newpasswordnewpassword\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n" +
		"a=candidate:3 1 udp 2130706431 127.0.0.1 6000 typ host\r\na=candidate:4 1 udp 2130706431 127.0.0.1 6001 typ host\r\na=end-of-candidates\r\n"
	got, err := MergeFragment(twoSections, frag)
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(got, "\r\nm=")
	if len(sections) != 3 {
		t.Fatalf("%d parts split at m=, want 3:\n%s", len(sections), got)
	}
	first, second := sections[1], sections[2]
	for _, c := range []struct {
		in, line string
		n        int
	}{
		{got, "a=ice-ufrag:newu\r\n", 2}, {got, "a=ice-pwd:newpasswordnewpassword\r\n", 2},
		{got, "oldu", 0}, {got, "oldpassword", 0}, {got, "10.0.0.", 0},
		{first, "a=candidate:3 1 udp 2130706431 127.0.0.1 6000 typ host\r\n", 1},
		{first, "a=candidate:4 1 udp 2130706431 127.0.0.1 6001 typ host\r\n", 1},
		{first, "a=end-of-candidates", 1},
		{second, "a=candidate:", 0}, {second, "a=end-of-candidates", 0},
		{got, "o=- 7 3 IN IP4", 1},
	} {
		if n := strings.Count(c.in, c.line); n != c.n {
			t.Errorf("%q %d times, want %d, in:\n%s", c.line, n, c.n, got)
		}
	}
	if _, err := MergeFragment(twoSections, "a=candidate:3 1 udp 1 127.0.0.1 6000 typ host\r\n"); err == nil {
		t.Error("a fragment without credentials: no error")
	}
}

// TestRestartICEAgainAfterAFailure: a restart the server refuses (its
// PATCH goes nowhere) leaves the client able to restart again, and that
// restart brings the mix back.
func TestRestartICEAgainAfterAFailure(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Connect(ctx, Options{Server: srv.URL, Room: "again", Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Connected()
	location := c.location
	c.location = srv.URL + "/rooms/again/sessions/nobody.nothing"
	var status *StatusError
	if _, err := c.RestartICE(ctx); !errors.As(err, &status) || status.Code != 404 {
		t.Fatalf("a restart to an unknown session: %v, want a 404", err)
	}
	if st := c.pc.SignalingState(); st != webrtc.SignalingStateStable {
		t.Fatalf("after the failed restart the client is in %s, want stable", st)
	}
	c.location = location
	if _, err := c.RestartICE(ctx); err != nil {
		t.Fatalf("the restart after: %v", err)
	}
	before := c.Stats().Frames
	if got := c.WaitFrames(before+30, 5*time.Second) - before; got < 30 {
		t.Errorf("%d pictures after the second restart, want 30 or more", got)
	}
}
