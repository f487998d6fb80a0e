package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"

	"mcu/client"
	"mcu/internal/mediatest"
)

// freeUDPPort is a UDP port free on every address, for -udp-port.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	probe, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	return probe.LocalAddr().(*net.UDPAddr).Port
}

// TestMediaPortAnswersFromCandidate: with -udp-port (one socket on every
// address), an ICE check sent to any of the server's host candidates
// from another of the host's addresses is answered from the candidate's
// address, as ICE wants (a reply from another address is no reply). A
// socket on every address left to the kernel answers a check from
// 127.0.0.1 to the host's other address from 127.0.0.1. Skipped on a
// host with loopback addresses alone.
func TestMediaPortAnswersFromCandidate(t *testing.T) {
	port := freeUDPPort(t)
	_, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-udp-port", strconv.Itoa(port)})

	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url+"/rooms/ports/join", "application/sdp", strings.NewReader(offer.SDP))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("join: %d %v %s\n%s", resp.StatusCode, err, answer, stderr.String())
	}
	attr := func(sdp, name string) string {
		m := regexp.MustCompile(`(?m)^a=` + name + `:(\S+)\r?$`).FindStringSubmatch(sdp)
		if m == nil {
			t.Fatalf("no a=%s in\n%s", name, sdp)
		}
		return m[1]
	}
	user := attr(string(answer), "ice-ufrag") + ":" + attr(offer.SDP, "ice-ufrag")
	pwd := attr(string(answer), "ice-pwd")

	checked := 0
	seen := map[netip.AddrPort]bool{}
	for _, m := range regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host`).FindAllStringSubmatch(string(answer), -1) {
		to, err := netip.ParseAddrPort(net.JoinHostPort(m[1], m[2]))
		if err != nil || seen[to] || int(to.Port()) != port {
			t.Fatalf("candidate %s:%s (port %d wanted), %v", m[1], m[2], port, err)
		}
		seen[to] = true
		from := otherAddress(t, to.Addr())
		if !from.IsValid() {
			continue
		}
		got := check(t, netip.AddrPortFrom(from, 0), to, user, pwd)
		if got != to {
			t.Errorf("a check from %v to the candidate %v answered from %v", from, to, got)
		}
		checked++
	}
	if len(seen) == 0 {
		t.Fatalf("no host candidate in\n%s", answer)
	}
	if checked == 0 {
		t.Skip("this host has loopback addresses alone: every check would come from the address it went to")
	}
}

// otherAddress is an address of this host's of to's family other than to
// (loopback for an address that is not, one that is not for loopback),
// or none.
func otherAddress(t *testing.T, to netip.Addr) netip.Addr {
	t.Helper()
	if !to.IsLoopback() {
		if to.Is4() {
			return netip.MustParseAddr("127.0.0.1")
		}
		return netip.IPv6Loopback()
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			ip := p.Addr()
			if ip.Is4() == to.Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.IsMulticast() {
				return ip
			}
		}
	}
	return netip.Addr{}
}

// check sends an ICE connectivity check (a STUN binding request signed
// with the server's password) from a socket on from to to, and returns
// where its success answer came from.
func check(t *testing.T, from, to netip.AddrPort, user, pwd string) netip.AddrPort {
	t.Helper()
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(from))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(user),
		ice.AttrControlling(1), ice.PriorityAttr(1<<24), stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	for try := 0; try < 5; try++ { // UDP: the check or its answer may be lost
		if _, err := conn.WriteToUDPAddrPort(req.Raw, to); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			continue
		}
		res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if err := res.Decode(); err != nil || res.TransactionID != req.TransactionID {
			t.Fatalf("answer from %v to the check to %v: %v", src, to, err)
		}
		if res.Type != stun.BindingSuccess {
			t.Fatalf("the check to %v answered %v", to, res.Type)
		}
		return netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	}
	t.Fatalf("no answer to a check from %v to %v", from, to)
	return netip.AddrPort{}
}

// TestMediaPortCarriesMedia: two participants joined through -udp-port
// each receive the mix.
func TestMediaPortCarriesMedia(t *testing.T) {
	port := freeUDPPort(t)
	_, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-udp-port", strconv.Itoa(port)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, clip := range []string{"p01", "p02"} {
		c, err := client.Connect(ctx, client.Options{Server: url, Room: "ports",
			Video: mediatest.TestdataPath(t, clip+".ivf"), Audio: mediatest.TestdataPath(t, clip+".ogg")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !strings.Contains(c.Answer(), " "+strconv.Itoa(port)+" typ host") {
			t.Fatalf("participant %d: no candidate on port %d in\n%s", i, port, c.Answer())
		}
		if n := c.WaitFrames(30, 10*time.Second); n < 30 {
			t.Fatalf("participant %d received %d pictures of the mix in 10 s\n%s", i, n, stderr.String())
		}
	}
}
