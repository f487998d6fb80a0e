// Package replyaddr answers each peer of a UDP socket bound to every
// address of the host (0.0.0.0, ::) from the address the peer wrote to.
//
// Such a socket's packets otherwise leave from whichever address the
// kernel's routes choose for the peer, which on a host with more than one
// address (a secondary or floating address, two interfaces, policy
// routing) need not be the one the peer wrote to. ICE takes a reply from
// another address than the one its check went to as no reply (RFC 8445,
// 7.2.5.2.1), so such a pair never connects; for a peer that can reach
// the host at that address alone, none does.
//
// Wrap does it on Linux (IP_PKTINFO, IPV6_PKTINFO); elsewhere it returns
// the socket as it is.
package replyaddr
