package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"mcu/internal/roomtoken"
)

// TestTokenEdges: a token printed is valid when printed, for about
// its -ttl; -url must be a page's address the link can be built on.
func TestTokenEdges(t *testing.T) {
	const secret = "the-servers-secret-0123456789abcdef"
	t.Setenv("MCU_AUTH_TOKEN", secret)
	// A sub-second -ttl is either refused or gives a token valid now.
	for range 5 {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"token", "-room", "a", "-ttl", "900ms"}, &out, &errOut)
		if code == 2 {
			break // refused: fine
		}
		if _, err := roomtoken.Verify([]byte(secret), strings.TrimSpace(out.String()), time.Now()); err != nil {
			t.Errorf("-ttl 900ms: exit %d, and the token printed is refused at once: %v", code, err)
			break
		}
		time.Sleep(230 * time.Millisecond)
	}
	// -url that no link can be made of.
	for _, u := range []string{"mcu.example.com", "https://mcu.example.com/#old", "ftp://mcu.example.com", "https://"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"token", "-room", "a", "-url", u}, &out, &errOut)
		if code != 2 {
			t.Errorf("-url %q: exit %d, printed %q; want 2 (not a page's address)", u, code, strings.TrimSpace(out.String()))
		}
	}
	// A page's address with a path and a query: the fragment goes at the end.
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"token", "-room", "a", "-url", "https://x.example/mcu/?lang=fr"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); !strings.HasPrefix(got, "https://x.example/mcu/?lang=fr#a&token=") {
		t.Errorf("-url with a query: %q, want https://x.example/mcu/?lang=fr#a&token=...", got)
	}
}
