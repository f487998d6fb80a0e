package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// openFiles counts the process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}

// TestJoinsLeaveNoFileOpen: a load run joins and leaves over and over;
// each join opens its clips (to learn their formats and lengths) and each
// leave reads the server's answer to its DELETE: none of them may leave a
// file or a connection open.
func TestJoinsLeaveNoFileOpen(t *testing.T) {
	peer := fakeStart(t)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			peer.mu.Lock()
			pcs := peer.pcs
			peer.pcs = nil
			peer.mu.Unlock()
			for _, pc := range pcs {
				pc.Close()
			}
			io.WriteString(w, "left\n") // a body, as some servers and proxies send
			return
		}
		peer.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer front.Close()
	opts := Options{Server: front.URL, Room: "r", Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")}
	cycle := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := Connect(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Leave(ctx); err != nil {
			t.Fatal(err)
		}
	}
	settle := func() int {
		httpClient.CloseIdleConnections()
		time.Sleep(200 * time.Millisecond) // closed sockets and pion's goroutines go
		return openFiles(t)
	}
	cycle() // warm up
	before := settle()
	const n = 6
	for range n {
		cycle()
	}
	after := settle()
	t.Logf("%d files open before, %d after", before, after)
	if after-before >= n {
		t.Errorf("%d files open before %d joins and leaves, %d after", before, n, after)
	}
}
