package server

import (
	"runtime/debug"
	"testing"
)

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

// TestBuildLabels: the build's labels are the commit and whether the tree
// had changes as the Go toolchain stamped them, and the Go version;
// "unknown" for what a build does not say (no Git checkout, or
// -buildvcs=false, as in test binaries, so that the metric above cannot
// show the stamped case).
func TestBuildLabels(t *testing.T) {
	for _, c := range []struct {
		name                     string
		bi                       *debug.BuildInfo
		rev, modified, goVersion string
	}{
		{"stamped", &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "e1f2180c0ffee"},
			{Key: "vcs.time", Value: "2026-12-07T17:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "e1f2180c0ffee", "true", "go1.26.0"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}}},
			"unknown", "unknown", "go1.26.0"},
		{"no build information", nil, "unknown", "unknown", "unknown"},
	} {
		rev, modified, goVersion := buildLabels(c.bi)
		if rev != c.rev || modified != c.modified || goVersion != c.goVersion {
			t.Errorf("%s: revision %q, modified %q, Go %q; want %q, %q, %q", c.name, rev, modified, goVersion, c.rev, c.modified, c.goVersion)
		}
	}
}
