package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"mcu/internal/mediatest"
)

// TestNAT1To1IPAnnounced: -nat1to1-ip (or MCU_NAT1TO1_IP) is the address
// the answers' candidates announce, not only a value checked at start:
// behind NAT, without it, no browser outside reaches the media.
func TestNAT1To1IPAnnounced(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
	}{
		{[]string{"-nat1to1-ip", "203.0.113.7"}, nil},
		{nil, []string{"MCU_NAT1TO1_IP=203.0.113.7"}},
	} {
		args := append(c.args, "-listen", "127.0.0.1:0", "-loopback-candidates", "false", "-record-dir", t.TempDir())
		cmd, url, stderr := startServer(t, args, c.env...)
		resp, err := http.Post(url+"/whep/nat", "application/sdp", strings.NewReader(mediatest.ViewerOffer(t)))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%v %v: join %d %s\n%s", c.args, c.env, resp.StatusCode, answer, stderr.String())
		}
		var addrs []string
		for line := range strings.Lines(string(answer)) {
			if f := strings.Fields(line); strings.HasPrefix(line, "a=candidate:") && len(f) > 4 {
				addrs = append(addrs, f[4])
			}
		}
		if len(addrs) == 0 {
			// A host with loopback alone, which this test leaves out: no
			// address to announce as another.
			cmd.Process.Kill()
			cmd.Wait()
			t.Skip("no candidates: the host has no address but loopback")
		}
		if !slices.Contains(addrs, "203.0.113.7") {
			t.Errorf("%v %v: the answer's candidates are at %q, want 203.0.113.7 among them", c.args, c.env, addrs)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// TestLoopbackAutoOnLocalhost: -loopback-candidates auto counts -listen
// localhost:PORT as loopback, as 127.0.0.1 and ::1 are (the help's "when
// listening on loopback"); every other host is not.
func TestLoopbackAutoOnLocalhost(t *testing.T) {
	for listen, want := range map[string]bool{
		"localhost:8080": true, "127.0.0.1:8080": true, "[::1]:8080": true,
		"0.0.0.0:8080": false, ":8080": false, "192.0.2.1:8080": false,
	} {
		o, done, err := parseServe([]string{"-listen", listen}, io.Discard)
		if done || err != nil {
			t.Fatalf("-listen %s: %v", listen, err)
		}
		if o.cfg.Net.Loopback != want {
			t.Errorf("-listen %s with -loopback-candidates auto: loopback candidates %v, want %v", listen, o.cfg.Net.Loopback, want)
		}
	}
}
