package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"mcu/internal/testserver"
)

// TestChunkedWithLengthClosesConnection: a request with both
// Transfer-Encoding and Content-Length is framed by the former, and the
// connection is closed after its answer (RFC 9112 6.1: "Regardless, the
// server MUST close the connection"), so that what followed it, which a
// proxy in front may have framed by Content-Length, is never taken as a
// request of its own (request smuggling).
func TestChunkedWithLengthClosesConnection(t *testing.T) {
	srv := testserver.Start(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "POST /whep/a HTTP/1.1\r\nHost: mcu\r\nContent-Type: application/sdp\r\n"+
		"Content-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"+
		"GET /api/rooms HTTP/1.1\r\nHost: mcu\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if smuggled, err := http.ReadResponse(br, nil); err == nil {
		smuggled.Body.Close()
		t.Errorf("after a request with both Transfer-Encoding and Content-Length, the connection served the bytes after it as a request of its own (GET /api/rooms: %d); want it closed", smuggled.StatusCode)
	}
}
