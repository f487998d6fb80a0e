package replyaddr

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"
)

// plainRW is a plain socket with the methods pion calls, to measure the
// Conn against.
type plainRW struct{ *net.UDPConn }

func (p plainRW) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	return p.ReadFromUDPAddrPort(b)
}
func (p plainRW) WriteToAddrPort(b []byte, a netip.AddrPort) (int, error) {
	return p.WriteToUDPAddrPort(b, a)
}

// pair is a server socket on every address (wrapped or not) and a client on
// 127.0.0.1 that writes to the server at to.
func benchPair(b *testing.B, wrap bool) (server interface {
	ReadFromAddrPort([]byte) (int, netip.AddrPort, error)
	WriteToAddrPort([]byte, netip.AddrPort) (int, error)
}, client *net.UDPConn, to netip.AddrPort) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { udp.Close() })
	server = plainRW{udp}
	if wrap {
		pc, err := Wrap(udp)
		if err != nil {
			b.Fatal(err)
		}
		server = pc.(*Conn)
	}
	client, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	return server, client, netip.AddrPortFrom(hostAddr(b, false), uint16(udp.LocalAddr().(*net.UDPAddr).Port))
}

// benchRoundTrip: the client writes, the server reads and answers, the
// client reads: the server's part is one ReadFromAddrPort and one
// WriteToAddrPort a round.
func benchRoundTrip(b *testing.B, wrap bool) {
	server, client, to := benchPair(b, wrap)
	pkt := make([]byte, 1200)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := client.WriteToUDPAddrPort(pkt, to); err != nil {
			b.Fatal(err)
		}
		_, from, err := server.ReadFromAddrPort(buf)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := server.WriteToAddrPort(pkt, from); err != nil {
			b.Fatal(err)
		}
		if _, _, err := client.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTripPlain(b *testing.B)   { benchRoundTrip(b, false) }
func BenchmarkRoundTripWrapped(b *testing.B) { benchRoundTrip(b, true) }

// benchWrite: the server's writes alone (media out), to a peer it knows.
func benchWrite(b *testing.B, wrap bool) {
	server, client, to := benchPair(b, wrap)
	pkt := make([]byte, 1200)
	buf := make([]byte, 1500)
	client.WriteToUDPAddrPort(pkt, to)
	_, from, err := server.ReadFromAddrPort(buf)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := server.WriteToAddrPort(pkt, from); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWritePlain(b *testing.B)   { benchWrite(b, false) }
func BenchmarkWriteWrapped(b *testing.B) { benchWrite(b, true) }

// TestWriteDeadlineKeepsPeer: pion aborts a write by setting the
// socket's write deadline to now; the write fails with a timeout, and
// the peer is still remembered.
func TestWriteDeadlineKeepsPeer(t *testing.T) {
	_, c := listen(t, "udp")
	peer := netip.MustParseAddrPort("127.0.0.1:9")
	c.note(peer, netip.MustParseAddr("127.0.0.1"), true)
	c.SetWriteDeadline(time.Now())
	_, err := c.WriteToAddrPort([]byte("x"), peer)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past the deadline: %v", err)
	}
	if c.Peers() != 1 {
		t.Error("a write aborted by its deadline forgot the peer")
	}
	c.SetWriteDeadline(time.Time{})
	if _, err := c.WriteToAddrPort([]byte("x"), peer); err != nil {
		t.Fatal(err)
	}
}

// TestCloseWhileReading: Close ends a read blocked in ReadFromAddrPort
// with net.ErrClosed (pion's mux closes the socket under its reader).
func TestCloseWhileReading(t *testing.T) {
	_, c := listen(t, "udp")
	done := make(chan error)
	go func() {
		_, _, err := c.ReadFromAddrPort(make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("read after Close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("read still blocked after Close")
	}
}

// TestConcurrent: one reader, many writers, peers moving between the two
// addresses, the sweep and an address gone, all at once (run with -race).
func TestConcurrent(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	_, c := listen(t, "udp")
	port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
	var clients []*net.UDPConn
	for range 8 {
		cl, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		clients = append(clients, cl)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64)
		for {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, _, err := c.ReadFromAddrPort(buf); err != nil {
				select {
				case <-stop:
					return
				default:
				}
			}
			c.readMu.Lock()
			c.swept -= int64(forget) // a sweep each packet
			c.readMu.Unlock()
		}
	})
	for i, cl := range clients {
		wg.Go(func() {
			buf := make([]byte, 64)
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				to := loop4
				if (i+j)%2 == 0 {
					to = eth4
				}
				cl.WriteToUDPAddrPort([]byte("x"), netip.AddrPortFrom(to, port))
				cl.SetReadDeadline(time.Now().Add(time.Millisecond))
				cl.ReadFromUDPAddrPort(buf)
			}
		})
		wg.Go(func() {
			peer := cl.LocalAddr().(*net.UDPAddr).AddrPort()
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				if j%50 == 0 {
					c.mu.Lock()
					c.peers[peer] = &peer0 // an address gone
					c.mu.Unlock()
				}
				c.WriteToAddrPort([]byte("y"), peer)
				c.Peers()
			}
		})
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
}

var peer0 = peer{local: netip.MustParseAddr("192.0.2.250"), oob: (&Conn{v6: true}).control(netip.MustParseAddr("192.0.2.250"))}

// TestUDP4Socket: an AF_INET socket (a host without IPv6) answers from
// the address written to, and writing to an IPv4-mapped form fails as a
// plain AF_INET socket's write does, leaving the peer remembered.
func TestUDP4Socket(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	udp, c := listen(t, "udp4")
	if c.v6 {
		t.Fatal("udp4 socket taken for dual-stack")
	}
	got := exchange(t, c, func(b []byte, a netip.AddrPort) error { _, err := c.WriteToAddrPort(b, a); return err }, loop4, eth4)
	if got.Addr() != eth4 {
		t.Errorf("answered from %v", got.Addr())
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(loop4.As16()), 9)
	_, plainErr := udp.WriteToUDPAddrPort([]byte("x"), mapped)
	c.note(unmapped(mapped), eth4, true)
	_, err := c.WriteToAddrPort([]byte("x"), mapped)
	t.Logf("plain: %v; wrapped: %v", plainErr, err)
	if (err == nil) != (plainErr == nil) {
		t.Errorf("wrapped %v, plain %v", err, plainErr)
	}
}

// stunMsg is a STUN message of type typ (0x0001 binding request, 0x0101
// its success response) with transaction ID id, no attributes.
func stunMsg(typ uint16, id byte) []byte {
	b := make([]byte, 20)
	b[0], b[1] = byte(typ>>8), byte(typ)
	copy(b[4:8], []byte{0x21, 0x12, 0xa4, 0x42})
	for i := 8; i < 20; i++ {
		b[i] = id
	}
	return b
}

// TestChecksToTwoAddresses: a peer checks two of the server's addresses
// from one port, at once (as pion and browsers do): each binding
// response leaves from the address its request came to; then, once the peer's media (here a
// DTLS-looking packet) comes to the other address, a check to 127.0.0.1 (a
// browser keeps checking the pairs it did not select) moves the server's
// media to 127.0.0.1 until the peer's next media packet.
func TestChecksToTwoAddresses(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	_, c := listen(t, "udp")
	client, port, read := checkingPeer(t, c)
	buf := make([]byte, 64)
	client.WriteToUDPAddrPort(stunMsg(0x0001, 1), netip.AddrPortFrom(loop4, port))
	client.WriteToUDPAddrPort(stunMsg(0x0001, 2), netip.AddrPortFrom(eth4, port))
	read()
	from := read()
	c.WriteToAddrPort(stunMsg(0x0101, 1), from)
	c.WriteToAddrPort(stunMsg(0x0101, 2), from)
	for _, want := range []netip.Addr{loop4, eth4} {
		n, src, err := client.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if src.Addr().Unmap() != want {
			t.Errorf("response %d came from %v, want %v", buf[8:n][0], src.Addr(), want)
		}
	}

	dtls := append([]byte{22, 0xfe, 0xfd}, make([]byte, 30)...)
	client.WriteToUDPAddrPort(dtls, netip.AddrPortFrom(eth4, port))
	read()
	client.WriteToUDPAddrPort(stunMsg(0x0001, 3), netip.AddrPortFrom(loop4, port))
	read()
	c.WriteToAddrPort(dtls, from) // media, before the check's response
	c.WriteToAddrPort(stunMsg(0x0101, 3), from)
	for _, want := range []netip.Addr{eth4, loop4} {
		n, src, err := client.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if src.Addr().Unmap() != want {
			t.Errorf("packet starting %d came from %v, want %v", buf[:n][0], src.Addr(), want)
		}
	}
}

// checkingPeer is a peer on 127.0.0.1 that writes to c, at port, by
// either of the server's addresses; read returns whom the next packet c
// reads came from. Both sockets give up after 5 s.
func checkingPeer(t *testing.T, c *Conn) (client *net.UDPConn, port uint16, read func() netip.AddrPort) {
	t.Helper()
	port = uint16(c.LocalAddr().(*net.UDPAddr).Port)
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	return client, port, func() netip.AddrPort {
		t.Helper()
		_, from, err := c.ReadFromAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		return from
	}
}

// TestFloodFromOneHost: no forging needed: one host sending a packet from
// each of many ports (here 200 against a limit lowered to 200; 65536
// a minute fill maxPeers) fills the table, and the next real peer,
// writing to the host's other address, is answered from 127.0.0.1.
func TestFloodFromOneHost(t *testing.T) {
	loop4, eth4 := netip.MustParseAddr("127.0.0.1"), hostAddr(t, false)
	_, c := listen(t, "udp")
	c.limit = 200
	port := uint16(c.LocalAddr().(*net.UDPAddr).Port)
	done := make(chan int)
	go func() {
		buf := make([]byte, 64)
		for n := 1; ; n++ {
			if _, _, err := c.ReadFromAddrPort(buf); err != nil || n == c.limit {
				done <- c.Peers()
				return
			}
		}
	}()
	for range c.limit {
		s, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close() // a port each
		s.WriteToUDPAddrPort([]byte("junk"), netip.AddrPortFrom(eth4, port))
	}
	select {
	case n := <-done:
		t.Logf("%d peers remembered", n)
	case <-time.After(5 * time.Second):
		t.Fatal("junk not all read")
	}
	got := exchange(t, c, func(b []byte, a netip.AddrPort) error { _, err := c.WriteToAddrPort(b, a); return err }, loop4, eth4)
	if got.Addr() != eth4 {
		t.Errorf("after %d junk packets from one host's ports, a new peer is answered from %v, want %v", c.limit, got.Addr(), eth4)
	}
}

// TestPacketRefreshesPeer: a packet from a remembered peer whose last one
// is older than forget keeps it remembered through the sweep it triggers
// (a peer that talks is never forgotten: its media would leave from the
// kernel's choice until its next packet).
func TestPacketRefreshesPeer(t *testing.T) {
	_, c := listen(t, "udp")
	peer := netip.MustParseAddrPort("127.0.0.1:1001")
	c.note(peer, netip.MustParseAddr("192.0.2.2"), true)
	c.peers[peer].seen.Add(-2 * int64(forget))
	c.note(peer, netip.MustParseAddr("192.0.2.2"), true) // refreshed; no sweep yet
	c.swept -= int64(forget)
	c.note(netip.MustParseAddrPort("127.0.0.1:1002"), netip.MustParseAddr("192.0.2.2"), true) // sweeps
	if c.peers[peer] == nil {
		t.Error("a peer that wrote just now was forgotten")
	}
}
