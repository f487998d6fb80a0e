package server_test

// ICE restarts of one session beyond its allowance are answered 429 with
// Retry-After.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

func TestSecurityRestartFloodGets429(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "flood", Name: "f", Video: mediatest.TestdataPath(t, "p01.ivf")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	statuses := map[int]int{}
	retryAfter := ""
	for i := range 20 {
		body := fmt.Sprintf("a=ice-ufrag:u%03d\r\na=ice-pwd:abcdefghijklmnopqrstuv%03d\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 %d typ host\r\n", i, i, 20000+i)
		req, _ := http.NewRequest(http.MethodPatch, c.Location(), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
		req.Header.Set("If-Match", "*")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retryAfter = resp.Header.Get("Retry-After")
		}
	}
	t.Logf("20 restarts at once: %v", statuses)
	if statuses[http.StatusOK] > 5 || statuses[http.StatusTooManyRequests] == 0 || retryAfter == "" {
		t.Errorf("20 restarts of one session at once: %v (Retry-After %q); want a few taken, the rest 429 with Retry-After", statuses, retryAfter)
	}
}
