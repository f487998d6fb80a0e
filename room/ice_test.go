package room

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/sdpfrag"
)

func TestParseFragment(t *testing.T) {
	const host = "1 1 udp 2130706431 127.0.0.1 5000 typ host"
	const pwd = "p1p1p1p1p1p1p1p1p1p1p1" // 22, the least
	for _, tc := range []struct {
		name, body string
		want       iceFragment
		err        bool
	}{
		{name: "a restart, CRLF", body: "a=ice-ufrag:u+/1\r\na=ice-pwd:" + pwd + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:" + host + "\r\na=end-of-candidates\r\n",
			want: iceFragment{ufrag: "u+/1", pwd: pwd, candidates: []fragmentCandidate{{"0", host}}, end: true}},
		{name: "a trickle, LF, two sections", body: "a=ice-options:trickle\na=group:BUNDLE 0 1\nm=audio 9 RTP/AVP 0\na=mid:0\na=candidate:" + host + "\nm=video 9 RTP/AVP 0\na=mid:1\na=candidate:" + host + "\n",
			want: iceFragment{candidates: []fragmentCandidate{{"0", host}, {"1", host}}}},
		{name: "no mid", body: "a=candidate:" + host, want: iceFragment{candidates: []fragmentCandidate{{"", host}}}},
		{name: "empty", body: "", want: iceFragment{}},
		{name: "an unreadable candidate, ignored", body: "a=candidate:1 1 udp\r\na=candidate:" + host, want: iceFragment{candidates: []fragmentCandidate{{"", host}}}},
		{name: "not SDP", body: "hello\r\n", err: true},
		{name: "a password alone", body: "a=ice-pwd:" + pwd + "\r\n", err: true},
		{name: "a username fragment alone", body: "a=ice-ufrag:u1u1\r\n", err: true},
		{name: "a short username fragment", body: "a=ice-ufrag:u1u\r\na=ice-pwd:" + pwd + "\r\n", err: true},
		{name: "a short password", body: "a=ice-ufrag:u1u1\r\na=ice-pwd:" + pwd[1:] + "\r\n", err: true},
		{name: "a space in the password", body: "a=ice-ufrag:u1u1\r\na=ice-pwd: " + pwd + "\r\n", err: true},
		{name: "a username fragment of 257", body: "a=ice-ufrag:" + strings.Repeat("u", 257) + "\r\na=ice-pwd:" + pwd + "\r\n", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFragment(tc.body)
			if tc.err {
				if !errors.Is(err, ErrBadFragment) {
					t.Fatalf("error %v, want ErrBadFragment", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestETagMatches(t *testing.T) {
	for _, tc := range []struct {
		ifMatch string
		want    bool
	}{
		{`"a1"`, true},
		{` "b2", "a1" `, true},
		{`"a2"`, false},
		{`W/"a1"`, false},
		{`a1`, false},
		{`*`, false}, // a restart, not a match
	} {
		if got := etagMatches(tc.ifMatch, `"a1"`); got != tc.want {
			t.Errorf("If-Match %s against \"a1\": %v, want %v", tc.ifMatch, got, tc.want)
		}
	}
}

// recvPeer is a client on loopback that receives the mix, counting the
// video packets it reads.
func recvPeer(t *testing.T) (*webrtc.PeerConnection, *atomic.Int64) {
	t.Helper()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	var packets atomic.Int64
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
			if track.Kind() == webrtc.RTPCodecTypeVideo {
				packets.Add(1)
			}
		}
	})
	return pc, &packets
}

// localPort is the port of pc's side of its selected candidate pair, 0
// before there is one.
func localPort(pc *webrtc.PeerConnection) uint16 {
	for _, r := range pc.GetReceivers() {
		if tr := r.Transport(); tr != nil {
			if pair, err := tr.ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
				return pair.Local.Port
			}
		}
	}
	return 0
}

// fakeCandidates is a fragment of n host candidates on loopback, at ports
// from port on.
func fakeCandidates(n, port int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a=candidate:%d 1 udp 1 127.0.0.1 %d typ host\r\n", i, port+i)
	}
	return b.String()
}

// udpAddressesOf counts the UDP addresses of a description's candidates.
func udpAddressesOf(desc string) int {
	addrs := map[string]bool{}
	for _, line := range strings.Split(desc, "\r\n") {
		if v, ok := strings.CutPrefix(line, "a=candidate:"); ok {
			udpAddresses(addrs, v)
		}
	}
	return len(addrs)
}

// waitFor polls cond every 20 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestICERestart: a participant restarts ICE through PatchICE; the
// connection moves to the candidates gathered for it, the mix keeps
// coming, and the session and its place in the room stay. The entity tag
// changes, and a trickle naming the old one is refused.
func TestICERestart(t *testing.T) {
	m := testManager(t)
	pc, packets := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)
	s := onlySession(t, r)
	if !waitFor(5*time.Second, func() bool { return packets.Load() > 10 }) {
		t.Fatal("no mix before the restart")
	}
	before, etag := localPort(pc), s.ETag()
	if before == 0 || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("before the restart: local port %d, ETag %s", before, etag)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The offer's candidates count towards the limit, and trickled ones
	// fill it.
	room := maxOfferCandidates - udpAddressesOf(pc.LocalDescription().SDP)
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), etag, fakeCandidates(room+1, 20000)); !errors.Is(err, ErrBadFragment) {
		t.Errorf("%d addresses beside the offer's: %v, want ErrBadFragment", room+1, err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), etag, fakeCandidates(room, 20000)); err != nil {
		t.Errorf("%d addresses beside the offer's: %v", room, err)
	}
	// A restart naming too many addresses is refused before it starts.
	tooMany := "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n" + fakeCandidates(maxOfferCandidates+1, 30000)
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", tooMany); !errors.Is(err, ErrBadFragment) || s.ETag() != etag {
		t.Errorf("a restart with %d addresses: %v, ETag %s; want ErrBadFragment, %s", maxOfferCandidates+1, err, s.ETag(), etag)
	}
	// No If-Match, and the same credentials again, are refused.
	frag, err := client.Fragment(pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), "", frag); !errors.Is(err, ErrICEPrecondition) {
		t.Errorf("no If-Match: %v, want ErrICEPrecondition", err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", frag); !errors.Is(err, ErrBadFragment) {
		t.Errorf("a restart with the credentials in use: %v, want ErrBadFragment", err)
	}
	ufrag0, pwd0 := sdpfrag.Credentials(frag)
	for _, half := range []string{"a=ice-ufrag:" + ufrag0 + "\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n", "a=ice-ufrag:abcd\r\na=ice-pwd:" + pwd0 + "\r\n"} {
		if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", half); !errors.Is(err, ErrBadFragment) || s.ETag() != etag {
			t.Errorf("a restart with one credential new (%q): %v, want ErrBadFragment", half, err)
		}
	}
	if _, _, err := m.PatchICE(ctx, "x", s.ID+".wrong", "*", frag); !errors.Is(err, ErrNotFound) {
		t.Errorf("a wrong secret: %v, want ErrNotFound", err)
	}

	if frag, err = client.Fragment(gatheredOfferWith(t, pc, &webrtc.OfferOptions{ICERestart: true})); err != nil {
		t.Fatal(err)
	}
	answer, newTag, err := m.PatchICE(ctx, "x", s.Key(), "*", frag)
	if err != nil {
		t.Fatal(err)
	}
	if newTag == etag || s.ETag() != newTag {
		t.Errorf("ETag %s before, %s after (the session says %s): want a new one", etag, newTag, s.ETag())
	}
	wantUfrag, _ := sdpfrag.Credentials(pc.LocalDescription().SDP)
	if got, _ := sdpfrag.Credentials(s.pc.RemoteDescription().SDP); got != wantUfrag {
		t.Errorf("the server has the client's ICE username fragment %q, want the new %q", got, wantUfrag)
	}
	serverUfrag, _ := sdpfrag.Credentials(s.pc.LocalDescription().SDP)
	if !strings.Contains(answer, "a=ice-ufrag:"+serverUfrag+"\r\n") || !strings.Contains(answer, "a=candidate:") || !strings.HasSuffix(answer, "a=end-of-candidates\r\n") {
		t.Errorf("answer fragment %q: want the server's new username fragment %q and its candidates", answer, serverUfrag)
	}
	merged, err := client.MergeFragment(pc.RemoteDescription().SDP, answer)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: merged}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { p := localPort(pc); return p != 0 && p != before }) {
		t.Fatalf("the connection stayed on local port %d after the restart", before)
	}
	n := packets.Load()
	if !waitFor(5*time.Second, func() bool { return packets.Load() > n+30 }) {
		t.Fatalf("%d packets of the mix after the restart, want 30 more", packets.Load()-n)
	}
	if onlySession(t, r) != s {
		t.Error("the session changed")
	}
	if n := m.ICERestarts(); n != 1 {
		t.Errorf("%d ICE restarts counted, want 1", n)
	}
	// The server checks the candidates given with the restart, none of
	// those before it, which no longer count towards the limit.
	if got, want := strings.Count(s.pc.RemoteDescription().SDP, "a=candidate:"), strings.Count(frag, "a=candidate:"); got != want {
		t.Errorf("%d candidates in the server's description of the client after the restart, want the fragment's %d", got, want)
	}
	room = maxOfferCandidates - udpAddressesOf(frag)
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), newTag, fakeCandidates(room, 40000)); err != nil {
		t.Errorf("%d addresses beside the restart's: %v", room, err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), etag, "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n"); !errors.Is(err, ErrICEMismatch) {
		t.Errorf("a trickle for the ICE before the restart: %v, want ErrICEMismatch", err)
	}
}

// TestICETrickle: a client that offers no candidates and sends them later
// (If-Match: the ETag of the join) has them taken as its host candidates,
// not only learnt from its checks; candidates beyond the limit, or for
// another username fragment, are refused.
func TestICETrickle(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	full := gatheredOffer(t, pc)
	var bare []string
	for _, line := range strings.SplitAfter(full, "\n") {
		if !strings.HasPrefix(line, "a=candidate:") && !strings.HasPrefix(line, "a=end-of-candidates") {
			bare = append(bare, line)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, answer, err := m.Join(ctx, "x", "", Participant, strings.Join(bare, ""))
	if err != nil {
		t.Fatal(err)
	}
	frag, err := client.Fragment(full)
	if err != nil {
		t.Fatal(err)
	}
	ufrag, _ := sdpfrag.Credentials(full)
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), strings.Replace(frag, ufrag, "other", 1)); !errors.Is(err, ErrBadFragment) {
		t.Errorf("candidates for another username fragment: %v, want ErrBadFragment", err)
	}
	if got, tag, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), frag); err != nil || got != "" || tag != s.ETag() {
		t.Fatalf("trickle: %q, %s, %v; want no answer, the same ETag", got, tag, err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	// The server knows the client's host candidates as such.
	var want []string
	for _, line := range strings.Split(full, "\r\n") {
		if f := strings.Fields(strings.TrimPrefix(line, "a=candidate:")); strings.HasPrefix(line, "a=candidate:") && len(f) >= 8 && f[7] == "host" {
			want = append(want, f[4]+":"+f[5])
		}
	}
	if len(want) == 0 {
		t.Fatal("the client gathered no host candidate")
	}
	hosts := func() map[string]bool {
		got := map[string]bool{}
		for _, st := range s.pc.GetStats() {
			if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeRemoteCandidate && c.CandidateType == webrtc.ICECandidateTypeHost {
				got[fmt.Sprintf("%s:%d", c.IP, c.Port)] = true
			}
		}
		return got
	}
	if !waitFor(5*time.Second, func() bool {
		got := hosts()
		for _, w := range want {
			if !got[w] {
				return false
			}
		}
		return true
	}) {
		t.Errorf("the server's remote host candidates %v, want %v", hosts(), want)
	}

	// At most maxOfferCandidates addresses in all: a fragment that would
	// go beyond adds none of its own.
	room := maxOfferCandidates - udpAddressesOf(full)
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(room-1, 20000)); err != nil {
		t.Fatalf("%d more addresses: %v", room-1, err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(2, 30000)); !errors.Is(err, ErrBadFragment) {
		t.Errorf("two more addresses, one beyond the limit: %v, want ErrBadFragment", err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(1, 30001)); err != nil {
		t.Errorf("the last address the limit leaves: %v", err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(2, 20000)); err != nil {
		t.Errorf("addresses it has again: %v", err)
	}
}

// FuzzParseFragment: whatever a PATCH carries, reading it never panics;
// what it accepts has both credentials or neither, and candidates pion
// reads; an offer rewritten with it carries its credentials and exactly its
// candidates.
func FuzzParseFragment(f *testing.F) {
	f.Add("a=ice-ufrag:u1u1\r\na=ice-pwd:p1p1p1p1p1p1p1p1p1p1p1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\n")
	f.Add("a=candidate:1 1 UDP 1 fd00::2 9 typ srflx raddr 0.0.0.0 rport 0\n")
	f.Add("a=candidate:x\r\nhello")
	f.Add("m=\na=mid:\na=ice-ufrag:\na=ice-pwd:")
	const offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:old\r\na=ice-pwd:oldpassword\r\na=candidate:9 1 udp 1 10.0.0.1 1 typ host\r\na=rtpmap:111 opus/48000/2\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=ice-ufrag:old\r\na=ice-pwd:oldpassword\r\na=rtpmap:96 VP8/90000\r\n"
	f.Fuzz(func(t *testing.T, body string) {
		frag, err := parseFragment(body)
		if err != nil {
			if !errors.Is(err, ErrBadFragment) {
				t.Fatalf("error %v is not ErrBadFragment", err)
			}
			return
		}
		if (frag.ufrag == "") != (frag.pwd == "") {
			t.Fatalf("accepted %q with ufrag %q and pwd %q", body, frag.ufrag, frag.pwd)
		}
		for _, c := range frag.candidates {
			if _, err := ice.UnmarshalCandidate(c.value); err != nil {
				t.Fatalf("accepted candidate %q that pion cannot read: %v", c.value, err)
			}
		}
		if frag.ufrag == "" {
			return
		}
		if !iceChars(frag.ufrag, 4) || !iceChars(frag.pwd, 22) {
			t.Fatalf("accepted ufrag %q and pwd %q", frag.ufrag, frag.pwd)
		}
		var d sdp.SessionDescription
		if err := d.UnmarshalString(offer); err != nil {
			t.Fatal(err)
		}
		var candidates []string
		for _, c := range frag.candidates {
			candidates = append(candidates, c.value)
		}
		for i, md := range d.MediaDescriptions {
			md.Attributes = sdpfrag.WithICE(md.Attributes, frag.ufrag, frag.pwd, candidates, i == 0, frag.end)
		}
		text, err := d.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ufrag, pwd := sdpfrag.Credentials(string(text))
		n := strings.Count(string(text), "\r\na=candidate:")
		if ufrag != frag.ufrag || pwd != frag.pwd || n != len(frag.candidates) {
			t.Fatalf("rewritten offer has ufrag %q pwd %q and %d candidates, want %q %q and %d:\n%s", ufrag, pwd, n, frag.ufrag, frag.pwd, len(frag.candidates), text)
		}
	})
}

// TestICEOfASessionEnding: once a session's peer connection has failed
// or closed, a trickle or a restart finds no session (404), whatever
// pion would answer.
func TestICEOfASessionEnding(t *testing.T) {
	m := testManager(t)
	pc, _ := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)
	s := onlySession(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	restart := "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n" + fakeCandidates(1, 20000)
	s.gone.Store(true) // failed: the session's End is on its way
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(1, 20000)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a trickle to a failed session: %v, want ErrNotFound", err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", restart); !errors.Is(err, ErrNotFound) {
		t.Errorf("a restart of a failed session: %v, want ErrNotFound", err)
	}
	s.gone.Store(false)
	s.pc.Close() // closed, the room not told yet
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), s.ETag(), fakeCandidates(1, 20000)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a trickle to a closed session: %v, want ErrNotFound", err)
	}
	if _, _, err := m.PatchICE(ctx, "x", s.Key(), "*", restart); !errors.Is(err, ErrNotFound) {
		t.Errorf("a restart of a closed session: %v, want ErrNotFound", err)
	}
}

func TestICETimeouts(t *testing.T) {
	for _, c := range []struct{ peer, disconnected, failed time.Duration }{
		{0, 5 * time.Second, 10 * time.Second},
		{DefaultPeerTimeout, 5 * time.Second, 10 * time.Second},
		{6 * time.Second, 2 * time.Second, 4 * time.Second},
		{30 * time.Second, 5 * time.Second, 25 * time.Second},
	} {
		if d, f := iceTimeouts(c.peer); d != c.disconnected || f != c.failed {
			t.Errorf("peer timeout %v: disconnected after %v, failed %v later; want %v, %v", c.peer, d, f, c.disconnected, c.failed)
		}
	}
}

// silencedConn is a UDP socket that, once silenced, neither delivers nor
// sends anything: every peer's network gone.
type silencedConn struct {
	net.PacketConn
	silent atomic.Bool
}

func (c *silencedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.silent.Load() {
			return n, addr, err
		}
	}
}

func (c *silencedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.silent.Load() {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

// TestPeerTimeout: a participant whose packets stop keeps its session for
// the peer timeout, and loses it then.
func TestPeerTimeout(t *testing.T) {
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn := &silencedConn{PacketConn: udp}
	cfg := DefaultConfig()
	cfg.Net.UDPMux = conn
	cfg.Net.PeerTimeout = 4 * time.Second
	m := testManagerWith(t, cfg)
	t.Cleanup(func() { udp.Close() })
	pc, packets := recvPeer(t)
	r := joinConnected(t, m, Participant, pc)
	if !waitFor(5*time.Second, func() bool { return packets.Load() > 10 }) {
		t.Fatal("no mix")
	}
	conn.silent.Store(true)
	cut := time.Now()
	if !waitFor(10*time.Second, func() bool { r.mu.Lock(); defer r.mu.Unlock(); return len(r.sessions) == 0 }) {
		t.Fatalf("the session is still there %v after its packets stopped, with a 4 s peer timeout", time.Since(cut).Round(time.Millisecond))
	}
	gone := time.Since(cut)
	t.Logf("the session went %v after its packets stopped", gone.Round(time.Millisecond))
	if gone < 3500*time.Millisecond || gone > 8*time.Second {
		t.Errorf("the session went %v after its packets stopped, want about 4 s", gone.Round(time.Millisecond))
	}
}
