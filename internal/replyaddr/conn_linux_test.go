package replyaddr

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// hostAddr is an address of this host's other than loopback, of IPv4 or
// IPv6; the test is skipped on a host without one.
func hostAddr(t testing.TB, v6 bool) netip.Addr {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr()
		if ip.Is6() == v6 && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.IsMulticast() {
			return ip
		}
	}
	t.Skipf("no address of this host's but loopback (IPv6: %v)", v6)
	return netip.Addr{}
}

// listen is a socket on every address (network "udp": dual-stack; "udp4":
// IPv4 alone), wrapped.
func listen(t *testing.T, network string) (*net.UDPConn, *Conn) {
	t.Helper()
	udp, err := net.ListenUDP(network, &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { udp.Close() })
	pc, err := Wrap(udp)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := pc.(*Conn)
	if !ok {
		t.Fatalf("Wrap gave %T for a socket on every address", pc)
	}
	return udp, c
}

// exchange sends a packet from a socket on from to the server at to, has
// the server answer it through answer, and returns the address the answer
// came from.
func exchange(t *testing.T, server net.PacketConn, answer func([]byte, netip.AddrPort) error, from, to netip.Addr) netip.AddrPort {
	t.Helper()
	client, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	port := server.LocalAddr().(*net.UDPAddr).Port
	if _, err := client.WriteToUDPAddrPort([]byte("check"), netip.AddrPortFrom(to, uint16(port))); err != nil {
		t.Fatal(err)
	}
	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, peer, err := server.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "check" {
		t.Fatalf("server read %q", buf[:n])
	}
	if err := answer([]byte("answer"), peer.(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, src, err := client.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if string(buf[:n]) != "answer" {
		t.Fatalf("client read %q", buf[:n])
	}
	return unmapped(src)
}

// TestAnswersFromAddressWrittenTo: a peer on one of the host's addresses
// writing to another is answered from the one it wrote to, through
// WriteTo and WriteToAddrPort, on a dual-stack socket and an IPv4 one; a
// plain socket on every address answers from the address the kernel
// picks for the peer, which here is the peer's own, so the pair would
// fail an ICE check.
func TestAnswersFromAddressWrittenTo(t *testing.T) {
	v4 := hostAddr(t, false)
	loop4 := netip.MustParseAddr("127.0.0.1")
	for _, network := range []string{"udp", "udp4"} {
		for _, c := range []struct{ from, to netip.Addr }{{loop4, v4}, {v4, loop4}} {
			t.Run(network+" "+c.from.String()+" to "+c.to.String(), func(t *testing.T) {
				udp, conn := listen(t, network)
				plain := exchange(t, udp, func(b []byte, a netip.AddrPort) error {
					_, err := udp.WriteToUDPAddrPort(b, a)
					return err
				}, c.from, c.to)
				t.Logf("a plain socket answers from %v", plain.Addr())
				for name, write := range map[string]func([]byte, netip.AddrPort) error{
					"WriteToAddrPort": func(b []byte, a netip.AddrPort) error { _, err := conn.WriteToAddrPort(b, a); return err },
					// pion writes to IPv4 peers by their IPv4 form, which a
					// dual-stack socket reads as IPv4-mapped.
					"WriteToAddrPort, unmapped": func(b []byte, a netip.AddrPort) error { _, err := conn.WriteToAddrPort(b, unmapped(a)); return err },
					"WriteTo": func(b []byte, a netip.AddrPort) error {
						_, err := conn.WriteTo(b, net.UDPAddrFromAddrPort(a))
						return err
					},
				} {
					if got := exchange(t, conn, write, c.from, c.to); got.Addr() != c.to {
						t.Errorf("%s: answered from %v, want %v", name, got.Addr(), c.to)
					}
				}
			})
		}
	}
}

// TestAnswersFromAddressWrittenToIPv6 is the same over IPv6.
func TestAnswersFromAddressWrittenToIPv6(t *testing.T) {
	v6 := hostAddr(t, true)
	loop6 := netip.IPv6Loopback()
	for _, c := range []struct{ from, to netip.Addr }{{loop6, v6}, {v6, loop6}} {
		t.Run(c.from.String()+" to "+c.to.String(), func(t *testing.T) {
			_, conn := listen(t, "udp")
			got := exchange(t, conn, func(b []byte, a netip.AddrPort) error { _, err := conn.WriteToAddrPort(b, a); return err }, c.from, c.to)
			if got.Addr() != c.to {
				t.Errorf("answered from %v, want %v", got.Addr(), c.to)
			}
		})
	}
}

// TestSingleAddressUnwrapped: a socket bound to one address answers from
// it already, and is given back as it is.
func TestSingleAddressUnwrapped(t *testing.T) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	pc, err := Wrap(udp)
	if err != nil {
		t.Fatal(err)
	}
	if pc != net.PacketConn(udp) {
		t.Fatalf("Wrap gave %T, want the socket itself", pc)
	}
}

// TestPeersForgotten: peers silent for forget are forgotten at the next
// packet read past the sweep's interval, the others kept; past the limit
// a new peer is not remembered, one remembered still moves.
func TestPeersForgotten(t *testing.T) {
	_, c := listen(t, "udp")
	local := netip.MustParseAddr("127.0.0.1")
	old := netip.MustParseAddrPort("127.0.0.1:1001")
	recent := netip.MustParseAddrPort("127.0.0.1:1002")
	c.note(old, local, true)
	c.note(recent, local, true)
	c.peers[old].seen.Add(-int64(forget) - 1)
	c.peers[recent].seen.Add(-int64(forget) / 2)
	c.swept -= int64(forget)
	c.note(recent, local, true)
	if _, ok := c.peers[old]; ok {
		t.Error("a peer silent for longer than forget is still remembered")
	}
	if _, ok := c.peers[recent]; !ok {
		t.Error("a peer heard from is forgotten")
	}

	c.limit = 1
	c.note(netip.MustParseAddrPort("127.0.0.1:1003"), local, true)
	if c.Peers() != 1 {
		t.Errorf("%d peers remembered past a limit of 1", c.Peers())
	}
	other := netip.MustParseAddr("127.0.0.2")
	c.note(recent, other, true)
	if p := c.peers[recent]; p == nil || p.local != other {
		t.Errorf("a remembered peer writing to another address at the limit: %+v", p)
	}
}

// TestAddressGone: a peer remembered writing to an address that is not
// (or no longer) the host's is answered all the same, from the kernel's
// choice, and forgotten.
func TestAddressGone(t *testing.T) {
	_, c := listen(t, "udp")
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	peer := client.LocalAddr().(*net.UDPAddr).AddrPort()
	c.note(peer, netip.MustParseAddr("192.0.2.250"), true) // documentation range: not this host's
	if _, err := c.WriteToAddrPort([]byte("answer"), peer); err != nil {
		t.Fatalf("answer to a peer whose address went: %v", err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if n, _, err := client.ReadFrom(buf); err != nil || string(buf[:n]) != "answer" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if c.Peers() != 0 {
		t.Error("the peer of an address gone is still remembered")
	}
}

// TestDestination reads the control messages the kernel gives, and
// refuses the addresses no answer can come from.
func TestDestination(t *testing.T) {
	_, c := listen(t, "udp")
	for _, tc := range []struct {
		local string
		ok    bool
	}{
		{"192.0.2.1", true},
		{"2001:db8::1", true},
		{"0.0.0.0", false},
		{"255.255.255.255", false},
		{"224.0.0.251", false},
		{"ff02::fb", false},
		{"fe80::1", false},
		{"169.254.10.1", true},
	} {
		a := netip.MustParseAddr(tc.local)
		got, ok := destination(c.control(a))
		if ok != tc.ok || (ok && got != a) {
			t.Errorf("%s: got %v, %v; want ok %v", tc.local, got, ok, tc.ok)
		}
	}
	if _, ok := destination([]byte{1, 2, 3}); ok {
		t.Error("a cut control message gave an address")
	}
}
