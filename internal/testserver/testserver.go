// Package testserver runs a real mcu server on a loopback port for tests.
package testserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"mcu/codec"
	"mcu/room"
	"mcu/server"
)

// Server is a running test server.
type Server struct {
	URL     string // http://127.0.0.1:port
	Rooms   *room.Manager
	Metrics *server.Metrics
	Config  room.Config
}

// Start runs a server with the default room settings (recordings in a
// temporary folder, ICE candidates on loopback only, no join refused for
// the server's strain), changed by mutate if given,
// and stops it when the test ends. Logs go to the test output with -v.
func Start(t testing.TB, mutate func(*room.Config)) *Server {
	t.Helper()
	return StartWithToken(t, mutate, "")
}

// StartWithToken is Start with a server that needs token on joins and the
// API (server.Server.RequireToken), unless token is empty.
func StartWithToken(t testing.TB, mutate func(*room.Config), token string) *Server {
	t.Helper()
	cfg := room.DefaultConfig()
	cfg.Net.LoopbackOnly = true
	cfg.RecordDir = t.TempDir()
	// Tests run media beside other tests, under the race detector, where
	// a room may fall behind now and then: none refuses a join for it
	// but those that set a hold to test that.
	cfg.OverloadHold = 0
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	codec.SetLogger(cfg.Logger)
	if mutate != nil {
		mutate(&cfg)
	}
	if cfg.Observer != nil {
		t.Fatal("testserver: the server's metrics are its Observer; mutate must not set one")
	}
	metrics := server.NewMetrics()
	cfg.Observer = metrics
	rooms, err := room.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	metrics.CountRooms(rooms)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(rooms, metrics, cfg.Logger)
	h.RequireToken(token)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := rooms.Close(ctx); err != nil {
			t.Errorf("testserver: close rooms: %v", err)
		}
	})
	return &Server{URL: "http://" + ln.Addr().String(), Rooms: rooms, Metrics: metrics, Config: cfg}
}
