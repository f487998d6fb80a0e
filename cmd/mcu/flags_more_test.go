package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"mcu/internal/mediatest"
)

// TestTokenLengthBoundary pins checkToken's "16 or more": 15
// printable characters are refused, 16 taken (TestAuthToken's short
// token, five characters, lets the bound fall to 6 unseen).
func TestTokenLengthBoundary(t *testing.T) {
	for token, refused := range map[string]bool{strings.Repeat("x", 15): true, strings.Repeat("x", 16): false, "~!#$%&'()*+,-./0": false} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a token taken starts a server that stops at once
		err := serveCommand(ctx, []string{"-auth-token", token, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, io.Discard)
		var ue usageError
		if got := errors.As(err, &ue); got != refused {
			t.Errorf("-auth-token of %d characters %q: %v; refused %v, want %v", len(token), token, err, got, refused)
		}
	}
}

// TestLoopbackCandidatesAuto pins -loopback-candidates' auto: the
// answer offers 127.0.0.1 when -listen is on loopback (a browser on the
// same host with no other interface joins), not when it listens on every
// address, nor with false.
func TestLoopbackCandidatesAuto(t *testing.T) {
	offer := mediatest.ViewerOffer(t)
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"-listen", "127.0.0.1:0"}, true},
		{[]string{"-listen", "0.0.0.0:0"}, false},
		{[]string{"-listen", "127.0.0.1:0", "-loopback-candidates", "false"}, false},
		{[]string{"-listen", "0.0.0.0:0", "-loopback-candidates", "true"}, true},
	} {
		cmd, url, stderr := startServer(t, append(c.args, "-record-dir", t.TempDir()))
		resp, err := http.Post(url+"/whep/lo", "application/sdp", strings.NewReader(offer))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%v: join %d %s\n%s", c.args, resp.StatusCode, answer, stderr.String())
		}
		got := false
		for line := range strings.Lines(string(answer)) {
			if f := strings.Fields(line); strings.HasPrefix(line, "a=candidate:") && len(f) > 4 && f[4] == "127.0.0.1" {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("%v: a 127.0.0.1 candidate in the answer %v, want %v", c.args, got, c.want)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// TestParseSize: WxH in digits, and nothing else.
func TestParseSize(t *testing.T) {
	for in, want := range map[string][2]int{"1280x720": {1280, 720}, "640X360": {640, 360}} {
		if w, h, err := parseSize(in); err != nil || w != want[0] || h != want[1] {
			t.Errorf("parseSize(%q) = %d, %d, %v; want %v", in, w, h, err, want)
		}
	}
	for _, in := range []string{"+640x+360", "-640x360", "640x", "x360", "640 x 360", "640x360x2", "1280*720", ""} {
		if w, h, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, %d; want an error", in, w, h)
		}
	}
}
