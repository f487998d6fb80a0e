package room

import (
	"strings"
	"testing"
)

func TestParseICEServer(t *testing.T) {
	for _, c := range []struct {
		in                string
		url, user, secret string
		err               string // in the error, when one is wanted
	}{
		{in: "stun:stun.example.com:3478", url: "stun:stun.example.com:3478"},
		{in: "STUN:stun.example.com", url: "stun:stun.example.com"},
		{in: "turn:ada:s3cret@turn.example.com:3478?transport=udp", url: "turn:turn.example.com:3478?transport=udp", user: "ada", secret: "s3cret"},
		// The password runs to the last '@'; the user name ends at the
		// first ':'; escapes are read.
		{in: "turn:ada:p@ss:w0rd@turn.example.com", url: "turn:turn.example.com", user: "ada", secret: "p@ss:w0rd"},
		{in: "turns:1767225600%3Aada:c2VjcmV0+Lw==@turn.example.com:5349", url: "turns:turn.example.com:5349", user: "1767225600:ada", secret: "c2VjcmV0+Lw=="},
		{in: "turn:ada%2Cb:x%2Cy@turn.example.com", url: "turn:turn.example.com", user: "ada,b", secret: "x,y"},
		{in: "turn:turn.example.com:3478", err: "needs a user name and a password"},
		{in: "turn:ada@turn.example.com", err: "needs a user name and a password"},
		{in: "stun:ada:topsecret@stun.example.com", err: "takes no credentials"},
		{in: "stun:stun.example.com?transport=udp", err: "stun:stun.example.com?transport=udp"},
		{in: "turn:ada:topsecret@", err: "has no host"},
		{in: "turn:ada:top%zzsecret@turn.example.com", err: "escape"},
		{in: "https://ada:topsecret@example.com", err: "want a stun:"},
		{in: "stun", err: "has no host"},
	} {
		srv, err := ParseICEServer(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "topsecret") {
				t.Errorf("%q: %v, want an error saying %q (and no password)", c.in, err, c.err)
			}
			continue
		}
		secret, _ := srv.Credential.(string)
		if err != nil || len(srv.URLs) != 1 || srv.URLs[0] != c.url || srv.Username != c.user || secret != c.secret {
			t.Errorf("%q: %+v, %v; want %s, %q, %q", c.in, srv, err, c.url, c.user, c.secret)
		}
	}
}
