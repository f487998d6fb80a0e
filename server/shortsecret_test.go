package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"mcu/internal/testserver"
)

// TestShortSecretNotTold: a server whose secret is under
// roomtoken.MinSecret takes no room tokens (README: Room tokens); a client
// that sends one must not learn from the 401 that the secret is that
// short, which tells anyone guessing it how long to try: the answer is
// the one a request without a token gets.
func TestShortSecretNotTold(t *testing.T) {
	srv := testserver.StartWithToken(t, nil, "a-secret-of-20-chars")
	answer := func(auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/rooms/a", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := answer("Bearer x.y.z")
	if status != http.StatusUnauthorized {
		t.Fatalf("a dotted token: %d %q, want 401", status, body)
	}
	if _, none := answer(""); body != none || strings.Contains(body, "32") || strings.Contains(strings.ToLower(body), "secret") {
		t.Errorf("a dotted token to a server whose secret is under 32 characters: %q; want what a request without a token is told (%q), nothing about the secret's length", body, none)
	}
}
