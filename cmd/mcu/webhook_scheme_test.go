package main

import (
	"strings"
	"testing"
)

// TestWebhookWithoutSchemeSaysSo: a -webhook missing its scheme (the
// likeliest slip) is not shown as ":///…", which names nothing.
func TestWebhookWithoutSchemeSaysSo(t *testing.T) {
	err := checkWebhook("hooks.example.com/mcu-events")
	if err == nil {
		t.Fatal("a -webhook without a scheme taken")
	}
	if strings.Contains(err.Error(), ":///") {
		t.Errorf("-webhook without a scheme: %v", err)
	}
}
