package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mcu/internal/lograte"
	"mcu/room"
)

// TestMetricsTimesInSeconds: the mixer's durations are observed in
// seconds, as their names say: a 3 ms tick, a 10 ms encode and 20 ms of
// added latency sum to 0.003, 0.010 and 0.020 (an operator's
// histogram_quantile reads them so).
func TestMetricsTimesInSeconds(t *testing.T) {
	m := NewMetrics()
	m.Compose(3 * time.Millisecond)
	m.Encode(10 * time.Millisecond)
	m.Latency(20 * time.Millisecond)
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"mcu_mixer_tick_seconds": 0.003, "mcu_encode_seconds": 0.010, "mcu_added_latency_seconds": 0.020}
	for _, f := range families {
		w, ok := want[f.GetName()]
		if !ok {
			continue
		}
		delete(want, f.GetName())
		if got := f.GetMetric()[0].GetHistogram().GetSampleSum(); math.Abs(got-w) > 1e-9 {
			t.Errorf("%s sum %v, want %v", f.GetName(), got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("histograms not exported: %v", want)
	}
}

// TestMetricsGaugesReadTheManager: each gauge reads its own count of the
// manager's at the scrape.
func TestMetricsGaugesReadTheManager(t *testing.T) {
	m := NewMetrics()
	m.rooms = func() (int, int, int) { return 1, 2, 3 }
	m.lowered = func() int { return 4 }
	m.spedUp = func() int { return 5 }
	m.h264 = func() int { return 6 }
	m.recording = func() int { return 7 }
	got := gathered(t, m, "gauge")
	for name, v := range map[string]float64{"mcu_rooms": 1, "mcu_participants": 2, "mcu_viewers": 3, "mcu_rooms_bitrate_lowered": 4,
		"mcu_rooms_encoder_sped_up": 5, "mcu_h264_receivers": 6, "mcu_recordings": 7} {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
}

// TestLowDiskSaysNoFigures: a recording refused for a nearly full disk is
// a 507 that says so without the disk's figures, which are the server's.
func TestLowDiskSaysNoFigures(t *testing.T) {
	var logged strings.Builder
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil)), errorLines: lograte.Limiter{Burst: 10, Interval: time.Second}}
	w := httptest.NewRecorder()
	s.fail(w, fmt.Errorf("start recording: %w", fmt.Errorf("%w: 812 MiB free, the server keeps 1024 MiB", room.ErrLowDisk)))
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	if w.Code != http.StatusInsufficientStorage || !strings.Contains(body["error"], "nearly full") || strings.Contains(body["error"], "MiB") {
		t.Errorf("a disk nearly full: %d %q; want 507 saying so without the disk's figures", w.Code, body["error"])
	}
}

// TestBearerSpaces: the token may follow "Bearer" after more than one
// space (RFC 6750 2.1: 1*SP), and in any case of the scheme.
func TestBearerSpaces(t *testing.T) {
	s := &Server{token: "s3cret-token-of-the-server"}
	for _, auth := range []string{"Bearer s3cret-token-of-the-server", "Bearer   s3cret-token-of-the-server", "bearer s3cret-token-of-the-server"} {
		r := httptest.NewRequest(http.MethodGet, "/api/rooms", nil)
		r.Header.Set("Authorization", auth)
		if !s.secretHolder(r) {
			t.Errorf("Authorization %q: refused", auth)
		}
	}
}
