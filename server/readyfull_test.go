package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// TestReadyzFullOfRooms: a server with as many rooms open as -max-rooms
// allows refuses every join that would open another (503), so /readyz,
// which a load balancer reads to send new rooms elsewhere, says 503 too.
func TestReadyzFullOfRooms(t *testing.T) {
	srv := testserver.Start(t, func(c *room.Config) { c.MaxRooms = 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "a", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "b", Video: mediatest.TestdataPath(t, "p02.ivf")}); err == nil {
		t.Fatal("a second room opened with MaxRooms 1")
	}
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz with every room the server may open taken: %d %q, Retry-After %q; want 503 with Retry-After (new rooms are refused)",
			resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}
