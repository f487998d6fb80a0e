package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"mcu/internal/logbuf"
)

// TestConnectionsBoundedPerClient: a client's connections beyond its
// bound, and anyone's beyond the total, are closed unanswered; another
// client's are taken; a connection closed gives its place back.
func TestConnectionsBoundedPerClient(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logged logbuf.Buffer
	ln := limitConns(raw, 3, 5, slog.New(slog.NewTextHandler(&logged, nil)))
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	// dial connects from ip and reports whether the server took the
	// connection (it came out of Accept) or closed it unanswered.
	dial := func(ip string) (net.Conn, bool) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
		c, err := d.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		closed := make(chan struct{})
		go func() {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Read(make([]byte, 1)); errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				close(closed)
			}
		}()
		select {
		case s := <-accepted:
			return s, true
		case <-closed:
			return nil, false
		case <-time.After(3 * time.Second):
			t.Fatalf("a connection from %s neither taken nor closed", ip)
			return nil, false
		}
	}
	var first net.Conn
	for i := range 3 {
		s, ok := dial("127.0.0.1")
		if !ok {
			t.Fatalf("connection %d of 127.0.0.1 refused, within its bound of 3", i+1)
		}
		if first == nil {
			first = s
		}
	}
	if _, ok := dial("127.0.0.1"); ok {
		t.Error("a 4th connection of 127.0.0.1 taken, over its bound of 3")
	}
	if _, ok := dial("127.0.0.2"); !ok {
		t.Error("another client's connection refused")
	}
	if _, ok := dial("127.0.0.3"); !ok {
		t.Error("the 5th connection in all refused, within the total of 5")
	}
	if _, ok := dial("127.0.0.4"); ok {
		t.Error("a 6th connection in all taken, over the total of 5")
	}
	first.Close()
	if _, ok := dial("127.0.0.1"); !ok {
		t.Error("a connection of 127.0.0.1 refused after one of its 3 was closed")
	}
	// The refusals said, once (at most once a minute).
	if n := strings.Count(logged.String(), "HTTP connection refused"); n != 1 {
		t.Errorf("the refusals logged %d times, want once:\n%s", n, logged.String())
	}
}

// TestIdleConnectionsLeaveRoomForOthers: one client holding more idle
// connections than the server may have files (each held until the read
// timeout, and dialled again) shut everyone else out: /healthz, joins and
// the API timed out for all. Here the server may have 1,024 files.
func TestIdleConnectionsLeaveRoomForOthers(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit (util-linux)")
	}
	wrapper := t.TempDir() + "/mcu"
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+prlimit+" --nofile=1024:1024 \""+os.Args[0]+"\" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := os.Args[0]
	os.Args[0] = wrapper // startServer runs os.Args[0]
	defer func() { os.Args[0] = saved }()
	_, url, _ := startServer(t, []string{"serve", "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()})
	host := strings.TrimPrefix(url, "http://")
	for range 1100 {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		defer c.Close()
	}
	// Another client (127.0.0.2 is this host too).
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	resp, err := c.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("with 1,100 idle connections dialled from 127.0.0.1, /healthz from 127.0.0.2: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
}

// TestClientOf: IPv4 clients by address, IPv6 ones by their /64.
func TestClientOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:443":                        "192.0.2.7",
		"[::ffff:192.0.2.7]:443":               "192.0.2.7",
		"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:9": "2001:db8:1:2::",
		"[2001:db8:1:2::1]:9":                  "2001:db8:1:2::",
		"[2001:db8:1:3::1]:9":                  "2001:db8:1:3::",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := clientOf(a); got != want {
			t.Errorf("clientOf(%s) = %s, want %s", addr, got, want)
		}
	}
}
