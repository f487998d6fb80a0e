package main

import (
	"strings"
	"testing"
)

// TestWebhookRefusalHidesSecrets: a -webhook refused at start is named by
// its scheme and host, as the logs name the receiver: its password, path
// and query (which may hold a secret of their own) stay out of the journal.
func TestWebhookRefusalHidesSecrets(t *testing.T) {
	for _, raw := range []string{
		"https://user:topsecret@hooks.example.com/mcu?key=topsecret",
		"ftp://hooks.example.com/topsecret",
		"https:///topsecret",
	} {
		err := checkWebhook(raw)
		if err == nil {
			t.Errorf("-webhook %q taken", raw)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("-webhook %q: the error shows the secret: %v", raw, err)
		}
	}
}
