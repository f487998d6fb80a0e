//go:build !linux

package replyaddr

import "net"

// Wrap returns udp itself: only Linux is taught the address a packet
// came to here.
func Wrap(udp *net.UDPConn) (net.PacketConn, error) { return udp, nil }
