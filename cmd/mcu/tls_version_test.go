package main

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"
)

// TestTLSOldVersionsRefused: the server's TLS is 1.2 and up (README:
// -tls-cert); a client that offers TLS 1.0 or 1.1 at most is refused.
func TestTLSOldVersionsRefused(t *testing.T) {
	certPEM, keyPEM := selfSigned(t, "127.0.0.1")
	certFile, keyFile := writePair(t, t.TempDir(), certPEM, keyPEM)
	r, err := newCertReloader(certFile, keyFile, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", r.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	for _, c := range []struct {
		max uint16
		ok  bool
	}{{tls.VersionTLS10, false}, {tls.VersionTLS11, false}, {tls.VersionTLS12, true}, {tls.VersionTLS13, true}} {
		conn, err := tls.DialWithDialer(&net.Dialer{}, "tcp", ln.Addr().String(),
			&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: c.max})
		if err == nil {
			conn.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("a client of TLS up to %s: handshake error %v, want it taken %v", tls.VersionName(c.max), err, c.ok)
		}
	}
}
