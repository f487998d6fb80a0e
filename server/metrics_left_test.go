package server

import (
	"testing"
)

// TestSessionsLeftByModerationExportedFromZero: mcu_sessions_left_total
// has its owner_left and removed series, for every kind, at zero from the
// start, as it has the others: a rate or an alert over them works before
// the first share ends with its owner or the first removal.
func TestSessionsLeftByModerationExportedFromZero(t *testing.T) {
	mfs, err := NewMetrics().registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "mcu_sessions_left_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var kind, reason string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "kind":
					kind = l.GetValue()
				case "reason":
					reason = l.GetValue()
				}
			}
			seen[[2]string{kind, reason}] = true
		}
	}
	for _, kind := range []string{"participant", "publisher", "viewer"} {
		for _, reason := range []string{"owner_left", "removed"} {
			if !seen[[2]string{kind, reason}] {
				t.Errorf("mcu_sessions_left_total{kind=%q, reason=%q} is not exported from zero", kind, reason)
			}
		}
	}
}
