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

// TestTokenCommand: mcu token prints a room token, signed with the
// server's secret from the environment, for the room, grants and time
// asked; a missing secret, a room name the server refuses or an unknown
// grant is a usage error (status 2) that prints nothing.
func TestTokenCommand(t *testing.T) {
	const secret = "the-servers-secret-0123456789abcdef"
	t.Setenv("MCU_AUTH_TOKEN", secret)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "-room", "board_7", "-grants", "watch, control", "-ttl", "10m"}, &out, &errOut); code != 0 {
		t.Fatalf("status %d: %s", code, errOut.String())
	}
	c, err := roomtoken.Verify([]byte(secret), strings.TrimSpace(out.String()), time.Now())
	if err != nil {
		t.Fatalf("the token printed: %v", err)
	}
	if left := time.Until(time.Unix(c.Expires, 0)); c.Room != "board_7" || !slices.Equal(c.Grants, []roomtoken.Grant{roomtoken.Watch, roomtoken.Control}) ||
		left < 9*time.Minute || left > 10*time.Minute {
		t.Errorf("claims %+v (expiring in %v), want board_7, watch and control, in 10 min", c, left)
	}
	if _, err := roomtoken.Verify([]byte("another-secret-0123456789abcdefghij"), strings.TrimSpace(out.String()), time.Now()); err == nil {
		t.Error("the token verifies under another secret")
	}

	// An invitation: the demo page's link, with the room and the token.
	out.Reset()
	if code := run(context.Background(), []string{"token", "-room", "board_7", "-url", "https://mcu.example.com/"}, &out, &errOut); code != 0 {
		t.Fatalf("status %d: %s", code, errOut.String())
	}
	page, tok, ok := strings.Cut(strings.TrimSpace(out.String()), "#board_7&token=")
	if c, err := roomtoken.Verify([]byte(secret), tok, time.Now()); !ok || page != "https://mcu.example.com/" || err != nil || c.Room != "board_7" {
		t.Errorf("invitation %q: want https://mcu.example.com/#board_7&token= and a token of board_7 (%v)", out.String(), err)
	}

	for name, c := range map[string]struct {
		env  string
		args []string
	}{
		"no secret":     {"", []string{"token", "-room", "a"}},
		"short secret":  {"short", []string{"token", "-room", "a"}},
		"secret of 31":  {secret[:31], []string{"token", "-room", "a"}},
		"no room":       {secret, []string{"token"}},
		"path in room":  {secret, []string{"token", "-room", "../a"}},
		"unknown grant": {secret, []string{"token", "-room", "a", "-grants", "join,admin"}},
		"ttl 0":         {secret, []string{"token", "-room", "a", "-ttl", "0s"}},
	} {
		t.Setenv("MCU_AUTH_TOKEN", c.env)
		out.Reset()
		errOut.Reset()
		if code := run(context.Background(), c.args, &out, &errOut); code != 2 || out.Len() != 0 || errOut.Len() == 0 {
			t.Errorf("%s: status %d, out %q, err %q; want 2, nothing printed, a message", name, code, out.String(), errOut.String())
		}
	}
}
