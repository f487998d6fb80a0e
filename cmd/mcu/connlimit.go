package main

import (
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"mcu/internal/lograte"
)

// limitConns bounds the HTTP connections open at once: perClient from one
// client (an IPv4 address, or an IPv6 /64, what one host is given; 0: no
// such bound, for a server behind a reverse proxy, whose connections all
// come from the proxy), and total in all. Every connection, even one that
// never sends a byte, holds a file descriptor until a timeout (10 s): a
// client that keeps opening them could take every file the process may
// have, and leave none for anyone else's requests, nor for the sockets of
// new sessions and the files of recordings. A connection over a bound is
// closed at once, unanswered.
// Refusals are logged, at most once a minute (with how many were not).
func limitConns(ln net.Listener, perClient, total int, log *slog.Logger) net.Listener {
	return &connLimiter{Listener: ln, perClient: perClient, total: total, open: map[string]int{}, log: log,
		said: lograte.Limiter{Burst: 1, Interval: time.Minute}}
}

// connTotal is the bound of limitConns's total: half the files the
// process may have, the rest kept for media sockets, recordings and
// webhooks.
func connTotal() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == 0 {
		return 4096
	}
	return int(min(lim.Cur/2, 1<<20))
}

type connLimiter struct {
	net.Listener
	perClient, total int

	mu   sync.Mutex
	all  int
	open map[string]int // by client (clientOf)

	log  *slog.Logger
	said lograte.Limiter
}

// clientOf is the client a connection from addr counts against: its IPv4
// address, or the /64 of its IPv6 address.
func clientOf(addr net.Addr) string {
	a, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if ip4 := a.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return a.IP.Mask(net.CIDRMask(64, 128)).String()
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := clientOf(c.RemoteAddr())
		l.mu.Lock()
		if l.all >= l.total || l.perClient > 0 && l.open[client] >= l.perClient {
			all, theirs := l.all, l.open[client]
			l.mu.Unlock()
			c.Close()
			if ok, more := l.said.Allow(time.Now()); ok {
				// Behind a reverse proxy every connection is the proxy's:
				// -max-conns-per-client 0 lifts the bound.
				l.log.Warn("HTTP connection refused: too many open (-max-conns-per-client; 0 behind a reverse proxy)",
					"client", client, "client_open", theirs, "open", all, "total_limit", l.total, "refused_unlogged", more)
			}
			continue
		}
		l.all++
		l.open[client]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, release: func() { l.release(client) }}, nil
	}
}

func (l *connLimiter) release(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all--
	if l.open[client]--; l.open[client] == 0 {
		delete(l.open, client)
	}
}

// limitedConn gives its place back when it is closed, once.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
