package replyaddr

import (
	"net/netip"
	"testing"
	"time"
)

// TestIPv4FormFindsMappedPeer: on a dual-stack socket an IPv4 peer is
// read IPv4-mapped (::ffff:a.b.c.d), and pion writes to it by its IPv4
// form: that form finds the peer, and the answer leaves from the address
// the peer wrote to. (The form is made here without the package's own
// unmapped, which the test is about.)
func TestIPv4FormFindsMappedPeer(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	_, c := listen(t, "udp")
	got := exchange(t, c, func(b []byte, a netip.AddrPort) error {
		if !a.Addr().Is4In6() {
			t.Fatalf("a dual-stack socket read %v, not IPv4-mapped", a)
		}
		_, err := c.WriteToAddrPort(b, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
		return err
	}, loop4, eth4)
	if got.Addr() != eth4 {
		t.Errorf("answered from %v, want %v (the address the peer wrote to)", got.Addr(), eth4)
	}
}

// TestPeerRememberedForAMinute: a peer silent for half of forget (a
// viewer between its reports) is still remembered when another peer's
// packet sweeps the table; one silent for longer is not.
func TestPeerRememberedForAMinute(t *testing.T) {
	_, c := listen(t, "udp")
	local := netip.MustParseAddr("127.0.0.1")
	quiet := netip.MustParseAddrPort("127.0.0.1:2001")
	gone := netip.MustParseAddrPort("127.0.0.1:2002")
	c.note(quiet, local, true)
	c.note(gone, local, true)
	c.peers[quiet].seen.Add(-int64(forget) / 2)
	c.peers[gone].seen.Add(-int64(forget) - int64(time.Second))
	c.swept -= int64(forget) // the next packet sweeps
	c.note(netip.MustParseAddrPort("127.0.0.1:2003"), local, true)
	if _, ok := c.peers[quiet]; !ok {
		t.Errorf("a peer silent for %v forgotten; want it remembered for %v", forget/2, forget)
	}
	if _, ok := c.peers[gone]; ok {
		t.Errorf("a peer silent for %v remembered", forget+time.Second)
	}
}

// TestCheckErrorFromAddressChecked: a binding error response (a role
// conflict's 487, which makes the peer switch roles) leaves from the
// address its request came to, like a success response, not from where
// the peer's media comes: the peer takes an answer from elsewhere as
// none.
func TestCheckErrorFromAddressChecked(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	_, c := listen(t, "udp")
	client, port, read := checkingPeer(t, c)
	dtls := append([]byte{22, 0xfe, 0xfd}, make([]byte, 30)...)
	client.WriteToUDPAddrPort(dtls, netip.AddrPortFrom(loop4, port)) // its media: to 127.0.0.1
	from := read()
	client.WriteToUDPAddrPort(stunMsg(0x0001, 7), netip.AddrPortFrom(eth4, port)) // a check to the other
	read()
	if _, err := c.WriteToAddrPort(stunMsg(0x0111, 7), from); err != nil {
		t.Fatal(err)
	}
	_, src, err := client.ReadFromUDPAddrPort(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	if src.Addr().Unmap() != eth4 {
		t.Errorf("the binding error response came from %v, want %v (where its request went)", src.Addr(), eth4)
	}
}
