package main

import (
	"io"
	"testing"
)

// TestFlagWinsOverVariable: a flag given on the command line wins over its
// variable, the secrets' too, which are read from the environment after
// the flags (README: "A flag given on the command line wins over its
// variable (but an empty -auth-token still takes MCU_AUTH_TOKEN)").
func TestFlagWinsOverVariable(t *testing.T) {
	const (
		envToken   = "the-environments-token-0123456789"
		flagToken  = "the-command-lines-token-0123456789"
		envSecret  = "the-environments-webhook-secret-0123456789"
		flagSecret = "the-command-lines-webhook-secret-0123456789"
	)
	t.Setenv("MCU_AUTH_TOKEN", envToken)
	t.Setenv("MCU_WEBHOOK_SECRET", envSecret)
	t.Setenv("MCU_LISTEN", "127.0.0.2:18080")
	o, done, err := parseServe([]string{"-auth-token", flagToken, "-webhook-secret", flagSecret,
		"-listen", "127.0.0.3:18080", "-record-dir", t.TempDir()}, io.Discard)
	if done || err != nil {
		t.Fatalf("parse: %v", err)
	}
	if o.authToken != flagToken || o.webhookSecret != flagSecret || o.listen != "127.0.0.3:18080" {
		t.Errorf("token %q, webhook secret %q, listen %q: want the command line's, not the environment's",
			o.authToken, o.webhookSecret, o.listen)
	}
	// An empty -auth-token (a script's "-auth-token $TOKEN" with TOKEN
	// unset) takes the variable, rather than open the server to anyone.
	o, done, err = parseServe([]string{"-auth-token", "", "-record-dir", t.TempDir()}, io.Discard)
	if done || err != nil {
		t.Fatalf("parse: %v", err)
	}
	if o.authToken != envToken {
		t.Errorf("an empty -auth-token gives %q, want the variable's", o.authToken)
	}
}
