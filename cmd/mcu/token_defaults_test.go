package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/internal/roomtoken"
)

// TestTokenDefaults: mcu token without -ttl and -grants makes a token for
// an hour that lets its holder join and watch, and no more: control (the
// recording, muting and removing people, the lock) is given only when
// asked for (usage: "[-ttl 1h] [-grants join,watch]").
func TestTokenDefaults(t *testing.T) {
	const secret = "the-servers-secret-0123456789abcdef"
	t.Setenv("MCU_AUTH_TOKEN", secret)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "-room", "a"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	c, err := roomtoken.Verify([]byte(secret), strings.TrimSpace(out.String()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Grants, []roomtoken.Grant{roomtoken.Join, roomtoken.Watch}) {
		t.Errorf("grants %q, want join and watch alone", c.Grants)
	}
	if left := time.Until(time.Unix(c.Expires, 0)); left < 59*time.Minute || left > time.Hour {
		t.Errorf("the token expires in %v, want an hour", left)
	}
}

// TestTokenLinkIsThePage: -url given as a server's address without the
// final slash (as the usage writes it: https://mcu.example.com), or with a
// path, gives the demo page's link, the fragment after the path's slash:
// https://x.example/mcu#... would be another page's address, from which
// the demo page's files (relative) are not found.
func TestTokenLinkIsThePage(t *testing.T) {
	t.Setenv("MCU_AUTH_TOKEN", "the-servers-secret-0123456789abcdef")
	for u, want := range map[string]string{
		"https://mcu.example.com":    "https://mcu.example.com/#a&token=",
		"https://x.example/mcu":      "https://x.example/mcu/#a&token=",
		"http://127.0.0.1:8080/mcu/": "http://127.0.0.1:8080/mcu/#a&token=",
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"token", "-room", "a", "-url", u}, &out, &errOut); code != 0 {
			t.Fatalf("-url %s: exit %d: %s", u, code, errOut.String())
		}
		if got := strings.TrimSpace(out.String()); !strings.HasPrefix(got, want) {
			t.Errorf("-url %s: %q, want %s...", u, got, want)
		}
	}
}
