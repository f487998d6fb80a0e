package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestGridWithNoSpotlight: {"mode": "grid", "spotlight": ""} (the grid,
// and no one in the spotlight: a page's reset) is taken; only a spotlight
// on someone is refused with the grid, which has no large tile.
func TestGridWithNoSpotlight(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "reset", Name: "p01", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/api/rooms/reset/layout", strings.NewReader(`{"mode": "grid", "spotlight": ""}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Mode      string `json:"mode"`
		Spotlight string `json:"spotlight"`
	}
	json.NewDecoder(resp.Body).Decode(&st)
	if resp.StatusCode != http.StatusOK || st.Mode != "grid" || st.Spotlight != "" {
		t.Errorf("the grid with no spotlight: %d %+v; want 200, the grid, none", resp.StatusCode, st)
	}
}
