package replyaddr

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/stun/v4"
	"golang.org/x/sys/unix"
)

// Conn is a UDP socket bound to every address that remembers, for each
// peer, the local address the peer last wrote to, and sends it everything
// from there. A peer it has not heard from (or one past its bound of
// remembered peers) gets the kernel's choice.
//
// Conn is a net.PacketConn; its ReadFromAddrPort and WriteToAddrPort
// are the allocation-free forms pion's ICE uses.
type Conn struct {
	udp *net.UDPConn
	v6  bool // a dual-stack (AF_INET6) socket, not an AF_INET one

	readMu sync.Mutex // the reader's own fields:
	oob    []byte     // the control messages of the packet read
	swept  int64      // when peers were last swept of the forgotten (monoNanos)

	mu    sync.RWMutex
	peers map[netip.AddrPort]*peer // by unmapped address
	limit int                      // most peers remembered: maxPeers

	checksMu sync.Mutex
	checks   [numChecks]check // recent binding requests, by transaction ID's hash
}

// check is a binding request read: its answer leaves from the address
// the request came to, whatever the peer wrote to since (a peer checks
// every one of the server's candidates from one port, at once).
type check struct {
	id    [12]byte
	peer  netip.AddrPort
	local netip.Addr
}

// numChecks is how many binding requests' addresses are kept: a request
// is answered within milliseconds, and a flood overwrites at random.
const numChecks = 4096

// peer is a remembered peer.
type peer struct {
	local netip.Addr   // the address it wrote to
	oob   []byte       // the control message sending from local
	media bool         // local is where its media (not a check) came
	seen  atomic.Int64 // its last packet (monoNanos)
}

// forget is how long a peer is remembered after its last packet: an ICE
// peer sends at least every few seconds (consent checks), so one silent
// this long has gone.
const forget = time.Minute

// clockBase is the origin of the peers' times. They count on the
// monotonic clock, not in Unix nanoseconds: a step of the wall clock (NTP
// correcting it, a VM resumed after a pause) forward by more than forget
// would forget every peer at once, those heard from a millisecond before
// too (their media leaving from the kernel's choice until their next
// packet), and one back would stop the sweeps for as long as it went back.
var clockBase = time.Now()

// monoNanos is the time since clockBase, in nanoseconds.
func monoNanos() int64 { return int64(time.Since(clockBase)) }

// maxPeers bounds the peers remembered (every packet from a new source
// costs an entry, a forged one's too, until it is forgotten): some 13 MiB
// full. Past it, a new peer takes the place of one at random, which is
// noted again at its next packet if it talks.
const maxPeers = 1 << 16

// Wrap makes udp answer each peer from the address it wrote to, when
// udp is bound to every address; one bound to a single address does so
// already and is returned as it is. udp is the Conn's from then on:
// closing either closes both.
func Wrap(udp *net.UDPConn) (net.PacketConn, error) {
	if a, ok := udp.LocalAddr().(*net.UDPAddr); !ok || !a.IP.IsUnspecified() {
		return udp, nil
	}
	raw, err := udp.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("replyaddr: %w", err)
	}
	var family int
	var serr error
	err = raw.Control(func(fd uintptr) {
		if family, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN); serr != nil {
			return
		}
		switch family {
		case unix.AF_INET6: // IPv4 packets too, named IPv4-mapped
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
		case unix.AF_INET:
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
		default:
			serr = fmt.Errorf("socket family %d", family)
		}
	})
	if err = cmp.Or(err, serr); err != nil {
		return nil, fmt.Errorf("replyaddr: %w", err)
	}
	return &Conn{
		udp:   udp,
		v6:    family == unix.AF_INET6,
		oob:   make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo)+unix.CmsgSpace(unix.SizeofInet4Pktinfo)),
		peers: make(map[netip.AddrPort]*peer),
		limit: maxPeers,
	}, nil
}

// ReadFromAddrPort reads a packet and notes the address it came to.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	n, oobn, _, from, err := c.udp.ReadMsgUDPAddrPort(b, c.oob)
	if err != nil {
		return n, from, err
	}
	if local, ok := destination(c.oob[:oobn]); ok {
		key := unmapped(from)
		typ, id, isSTUN := stunHeader(b[:n])
		if typ == bindingRequest {
			c.noteCheck(id, key, local)
		}
		c.note(key, local, !isSTUN)
	}
	return n, from, nil
}

// WriteToAddrPort sends a packet to addr from the address addr last wrote
// to.
func (c *Conn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	key := unmapped(addr)
	if local, ok := c.checkAnswered(b, key); ok {
		n, _, err := c.udp.WriteMsgUDPAddrPort(b, c.control(local), addr)
		if err == nil {
			return n, nil
		}
	}
	c.mu.RLock()
	p := c.peers[key]
	c.mu.RUnlock()
	if p == nil {
		return c.udp.WriteToUDPAddrPort(b, addr)
	}
	n, _, err := c.udp.WriteMsgUDPAddrPort(b, p.oob, addr)
	if err == nil {
		return n, nil
	}
	// The address may have left the host (EADDRNOTAVAIL, EINVAL or
	// ENETUNREACH, by the case): the kernel chooses. If that fails too,
	// the trouble is the socket's or the way's, not the address's.
	if n, err = c.udp.WriteToUDPAddrPort(b, addr); err != nil {
		return n, err
	}
	c.mu.Lock()
	if c.peers[key] == p {
		delete(c.peers, key)
	}
	c.mu.Unlock()
	return n, nil
}

// ReadFrom reads a packet and notes the address it came to.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// WriteTo sends a packet to addr from the address addr last wrote to.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	u, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.udp.WriteTo(b, addr) // the socket's own error
	}
	return c.WriteToAddrPort(b, u.AddrPort())
}

// LocalAddr is the socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.udp.LocalAddr() }

// Close closes the socket.
func (c *Conn) Close() error { return c.udp.Close() }

// SetDeadline sets the socket's read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.udp.SetDeadline(t) }

// SetReadDeadline sets the socket's read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.udp.SetReadDeadline(t) }

// SetWriteDeadline sets the socket's write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.udp.SetWriteDeadline(t) }

// Peers is how many peers are remembered.
func (c *Conn) Peers() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.peers)
}

// note remembers that from wrote to local: media says the packet was
// media (DTLS, SRTP), not ICE's, whose checks go to every candidate. The
// reader calls it.
func (c *Conn) note(from netip.AddrPort, local netip.Addr, media bool) {
	now := monoNanos()
	if now-c.swept > int64(forget)/2 {
		c.sweep(now)
	}
	c.mu.RLock()
	p := c.peers[from]
	c.mu.RUnlock()
	if p != nil && (p.local == local && p.media == media || p.media && !media) {
		// The same, or a check to another candidate than the one its
		// media comes to (the media's stays).
		p.seen.Store(now)
		return
	}
	np := &peer{local: local, oob: c.control(local), media: media}
	np.seen.Store(now)
	c.mu.Lock()
	if p == nil && len(c.peers) >= c.limit {
		// Full (of forged sources, most likely): one at random makes
		// room, so that a real peer is remembered however long a flood
		// goes on; one that talks is noted again at its next packet.
		for a := range c.peers {
			delete(c.peers, a)
			break
		}
	}
	c.peers[from] = np
	c.mu.Unlock()
}

// noteCheck remembers the address a binding request came to.
func (c *Conn) noteCheck(id [12]byte, from netip.AddrPort, local netip.Addr) {
	c.checksMu.Lock()
	c.checks[checkSlot(id)] = check{id: id, peer: from, local: local}
	c.checksMu.Unlock()
}

// checkAnswered is the address the binding request b answers came to, if
// b is a binding response to a request remembered.
func (c *Conn) checkAnswered(b []byte, to netip.AddrPort) (netip.Addr, bool) {
	typ, id, _ := stunHeader(b)
	if typ != bindingSuccess && typ != bindingError {
		return netip.Addr{}, false
	}
	c.checksMu.Lock()
	defer c.checksMu.Unlock()
	k := &c.checks[checkSlot(id)]
	if k.id != id || k.peer != to || !k.local.IsValid() {
		return netip.Addr{}, false
	}
	local := k.local
	*k = check{}
	return local, true
}

func checkSlot(id [12]byte) int {
	return int((uint32(id[0]) | uint32(id[1])<<8 | uint32(id[2])<<16 | uint32(id[3])<<24) % numChecks)
}

// The STUN message types ICE's checks use (RFC 5389, 18.1).
const (
	bindingRequest = 0x0001
	bindingSuccess = 0x0101
	bindingError   = 0x0111
)

// stunHeader is the type and transaction ID of b, if b is a STUN message
// (ICE's), told from DTLS, SRTP and SRTCP by its first byte and its magic
// cookie (RFC 7983; RFC 5389, 6).
func stunHeader(b []byte) (typ uint16, id [12]byte, ok bool) {
	if !stun.IsMessage(b) || b[0] >= 4 {
		return 0, id, false
	}
	return binary.BigEndian.Uint16(b), [12]byte(b[8:20]), true
}

// sweep forgets the peers silent for forget.
func (c *Conn) sweep(now int64) {
	c.swept = now
	c.mu.Lock()
	defer c.mu.Unlock()
	for a, p := range c.peers {
		if now-p.seen.Load() > int64(forget) {
			delete(c.peers, a)
		}
	}
}

// control is the control message that sends a packet from local.
func (c *Conn) control(local netip.Addr) []byte {
	if c.v6 {
		return unix.PktInfo6(&unix.Inet6Pktinfo{Addr: local.As16()})
	}
	return unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: local.As4()})
}

// destination is the local address a packet came to, from its control
// messages: one a reply can be sent from (not a broadcast or multicast
// address, nor an IPv6 link-local one, which needs its interface named).
// IPv4's link-local addresses (169.254/16) need none.
func destination(oob []byte) (netip.Addr, bool) {
	for len(oob) > 0 {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return netip.Addr{}, false
		}
		oob = rest
		var a netip.Addr
		switch {
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			a = netip.AddrFrom16([16]byte(data[:16])).Unmap()
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			// ipi_spec_dst: the local address (for a broadcast, the
			// interface's), where ipi_addr is the header's.
			a = netip.AddrFrom4([4]byte(data[4:8]))
		default:
			continue
		}
		ok := a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !(a.Is6() && a.IsLinkLocalUnicast()) &&
			a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
		return a, ok
	}
	return netip.Addr{}, false
}

// unmapped is a peer's address in the one form it is remembered by:
// IPv4 as IPv4, whether a dual-stack socket names it IPv4-mapped or not.
func unmapped(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
