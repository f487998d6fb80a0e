package server

import "testing"

// TestMetricsBuildInfo: /metrics names the build (after an upgrade: which
// servers run which commit).
func TestMetricsBuildInfo(t *testing.T) {
	mfs, err := NewMetrics().registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "mcu_build_info" {
			if len(mf.GetMetric()) != 1 || mf.GetMetric()[0].GetGauge().GetValue() != 1 {
				t.Fatalf("mcu_build_info = %v, want one series at 1", mf.GetMetric())
			}
			t.Logf("labels: %v", mf.GetMetric()[0].GetLabel())
			return
		}
	}
	t.Fatal("no mcu_build_info")
}
