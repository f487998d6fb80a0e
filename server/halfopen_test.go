package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"

	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestHalfOpenJoinsReaped: joins answered 201 whose client never
// does ICE hold a place in the room (and the room its encoder) only for
// about the peer timeout: then the sessions end and the room closes.
func TestHalfOpenJoinsReaped(t *testing.T) {
	const peerTimeout = 4 * time.Second
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.PeerTimeout = peerTimeout
		c.MaxParticipants = 2
	})
	for i := range 3 {
		resp, err := http.Post(srv.URL+"/rooms/squat/join", "application/sdp", strings.NewReader(mediatest.ViewerOffer(t)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		want := http.StatusCreated
		if i == 2 {
			want = http.StatusTooManyRequests // both places held
		}
		if resp.StatusCode != want {
			t.Fatalf("join %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	start := time.Now()
	for {
		rooms, participants, viewers := srv.Rooms.Counts()
		if rooms+participants+viewers == 0 {
			break
		}
		if time.Since(start) > peerTimeout+6*time.Second {
			t.Fatalf("%v after the joins: %d rooms, %d participants, %d viewers still open; want the half-open sessions ended about -peer-timeout (%v) after their join",
				time.Since(start).Round(time.Second), rooms, participants, viewers, peerTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("reaped after %v", time.Since(start).Round(100*time.Millisecond))
	// The places are free again.
	resp, err := http.Post(srv.URL+"/rooms/squat/join", "application/sdp", strings.NewReader(mediatest.ViewerOffer(t)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a join after the reaping: %d, want 201", resp.StatusCode)
	}
}

// reviewICEOnlyPeer posts a participant's offer for an ICE agent of its
// own, completes ICE with the server and answers its checks, but never
// does DTLS: it returns once ICE is up, with a counter of the bytes the
// server sent it (its DTLS flights).
func reviewICEOnlyPeer(t *testing.T, url string) (received *atomic.Int64) {
	t.Helper()
	agent, err := ice.NewAgent(&ice.AgentConfig{
		NetworkTypes:     []ice.NetworkType{ice.NetworkTypeUDP4},
		CandidateTypes:   []ice.CandidateType{ice.CandidateTypeHost},
		IncludeLoopback:  true,
		IPFilter:         func(ip net.IP) bool { return ip.IsLoopback() },
		MulticastDNSMode: ice.MulticastDNSModeDisabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Close() })
	var cands []string
	done := make(chan struct{})
	agent.OnCandidate(func(c ice.Candidate) {
		if c == nil {
			close(done)
			return
		}
		cands = append(cands, "a=candidate:"+c.Marshal()+"\r\n")
	})
	if err := agent.GatherCandidates(); err != nil {
		t.Fatal(err)
	}
	<-done
	ufrag, pwd, _ := agent.GetLocalUserCredentials()
	fp := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=fingerprint:sha-256 " + fp + "\r\n")
	for i, m := range []string{"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n",
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n"} {
		b.WriteString(m)
		fmt.Fprintf(&b, "a=mid:%d\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=setup:actpass\r\na=rtcp-mux\r\na=sendrecv\r\n", i, ufrag, pwd)
		for _, c := range cands {
			b.WriteString(c)
		}
	}
	resp, err := http.Post(url, "application/sdp", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("join: %d %s", resp.StatusCode, answer)
	}
	var rufrag, rpwd string
	for line := range strings.Lines(string(answer)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			rufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			rpwd = strings.TrimPrefix(line, "a=ice-pwd:")
		case strings.HasPrefix(line, "a=candidate:"):
			if c, err := ice.UnmarshalCandidate(strings.TrimPrefix(line, "a=")); err == nil {
				agent.AddRemoteCandidate(c)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := agent.Dial(ctx, rufrag, rpwd) // the offerer controls
	if err != nil {
		t.Fatalf("ICE with the server: %v", err)
	}
	received = new(atomic.Int64)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			received.Add(int64(n))
		}
	}()
	return received
}

// TestSessionWithoutDTLSReaped: a participant whose ICE completes
// (it answers the server's checks) but whose DTLS never does is never
// connected: no media goes either way. Yet the server keeps its session,
// its place in the room and its tile for as long as it answers STUN: the
// handshake pion runs for it has no deadline (SettingEngine's DTLS
// connect context is not set), and -peer-timeout only counts once ICE
// stops. Twenty-five such peers, a few bytes a second each, hold a room
// full for ever; fifty rooms of them hold the server's.
func TestSessionWithoutDTLSReaped(t *testing.T) {
	const peerTimeout = 4 * time.Second
	srv := testserver.Start(t, func(c *room.Config) {
		c.Net.PeerTimeout = peerTimeout
		c.MaxParticipants = 1
	})
	received := reviewICEOnlyPeer(t, srv.URL+"/rooms/held/join")
	start := time.Now()
	const within = 15 * time.Second // well past the peer timeout
	for time.Since(start) < within {
		if _, participants, _ := srv.Rooms.Counts(); participants == 0 {
			t.Logf("ended after %v", time.Since(start).Round(100*time.Millisecond))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The room is full for anyone else meanwhile.
	resp, err := http.Post(srv.URL+"/rooms/held/join", "application/sdp", strings.NewReader(mediatest.ViewerOffer(t)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Errorf("a participant whose ICE is up but whose DTLS never completed still holds its place %v after its join (-peer-timeout %v; the server sent it %d bytes of DTLS); another join gets %d",
		within, peerTimeout, received.Load(), resp.StatusCode)
}
