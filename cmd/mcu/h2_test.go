package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestHTTP2StalledHeadersCutOff: over HTTPS, where the server
// offers HTTP/2, a client that stops in the middle of a request's header
// block (a HEADERS frame without END_HEADERS, its CONTINUATION never
// sent) should lose the connection as an HTTP/1.1 client stalled in its
// headers does: within httpServer's 10 s (README: "a request must arrive
// whole within 10 s"). HTTP/2 applies neither ReadHeaderTimeout nor
// ReadTimeout before a stream exists; only IdleTimeout (a minute) ends
// it, so a slowloris over HTTP/2 holds each connection six times longer.
func TestHTTP2StalledHeadersCutOff(t *testing.T) {
	certPEM, keyPEM := selfSigned(t, "mcu-test")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}} // as serve's
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, conn)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "https"}, {":authority", "mcu"}, {":path", "/rooms/r/join"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	// The header block begun, never ended.
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: false}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	const within = 15 * time.Second // 10 s and a margin
	conn.SetReadDeadline(start.Add(within))
	_, err = io.Copy(io.Discard, conn) // the server's SETTINGS, then its close
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("an HTTP/2 client stalled in its header block still connected %v later; want it cut off within %v, as over HTTP/1.1", time.Since(start).Round(time.Second), within)
	} else {
		t.Logf("cut off after %v (%v)", time.Since(start).Round(100*time.Millisecond), err)
	}
}
