package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"mcu/room"
	"mcu/server"
)

// TestBodyTimeoutKeepsAddressesPrivate: a client whose request body
// stops coming gets 400 once httpServer's ReadTimeout passes (the server
// answers it: the connection can still be written). The answer's error
// is the read error's text, "read tcp SERVER:PORT->CLIENT:PORT: i/o
// timeout": the server's own address and port, which behind a proxy or a
// NAT is an internal one. The server keeps such text for its log
// (Server.internal: "its text names files, libraries and addresses of
// the server's"); a 4xx should say what was wrong without it.
func TestBodyTimeoutKeepsAddressesPrivate(t *testing.T) {
	cfg := room.DefaultConfig()
	cfg.Net.LoopbackOnly = true
	cfg.RecordDir = t.TempDir()
	cfg.OverloadHold = 0
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	rooms, err := room.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rooms.Close(ctx)
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(server.New(rooms, nil, cfg.Logger))
	go srv.Serve(ln)
	defer srv.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /rooms/r/join HTTP/1.1\r\nHost: mcu\r\nContent-Type: application/sdp\r\nContent-Length: 5000\r\n\r\nv=0\r\n")
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	t.Logf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	if strings.Contains(string(body), ln.Addr().String()) {
		t.Errorf("the answer to a stalled body names the server's address %s: %s", ln.Addr(), strings.TrimSpace(string(body)))
	}
}
