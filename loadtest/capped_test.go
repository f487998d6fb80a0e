package loadtest

import (
	"strings"
	"testing"
)

// TestCappedValidated: capped participants need a link of at least
// 50 kbit/s, and count with the decoders and the lossy ones against N.
func TestCappedValidated(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N, cfg.Clips = "http://127.0.0.1:1", "r", 3, []Clip{{Video: "v.ivf"}}
	cfg.Capped, cfg.Link = 1, 500_000
	if err := cfg.Validate(); err != nil {
		t.Fatalf("1 capped of 3 at 500k: %v", err)
	}
	cfg.Link = 10_000
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "link") {
		t.Errorf("a 10 kbit/s link: %v, want refused", err)
	}
	cfg.Link, cfg.Capped, cfg.Lossy = 500_000, 2, 1 // and 1 decoder: 4 of 3
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "capped") {
		t.Errorf("1 decoder, 1 lossy and 2 capped of 3: %v, want refused", err)
	}
}
