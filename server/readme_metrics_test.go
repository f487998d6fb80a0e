package server

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeNamesEveryMetric: every mcu_ metric /metrics exports is named
// in the README's /metrics row, so that an operator can write an alert or
// a dashboard from the README alone.
func TestReadmeNamesEveryMetric(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	m.CountWebhook(func() (uint64, uint64, uint64) { return 0, 0, 0 })
	m.overload = func() (bool, uint64, uint64) { return false, 0, 0 }
	m.restarts = func() uint64 { return 0 }
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		name := f.GetName()
		if strings.HasPrefix(name, "mcu_") && !strings.Contains(string(readme), "`"+name) {
			t.Errorf("/metrics exports %s, which the README does not name", name)
		}
	}
}
