package server

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/mixer"
	"mcu/room"
)

// TestMetricsCountWhatTheyName: each room.Observer call moves its own
// series, by the amount it says, and no other: a count told twice, one
// told three times and so on, each read back from the registry by name.
func TestMetricsCountWhatTheyName(t *testing.T) {
	m := NewMetrics()
	times := func(n int, f func()) {
		for range n {
			f()
		}
	}
	times(2, m.PLISent)
	times(3, m.PLIReceived)
	m.BytesIn(1000)
	m.BytesOut(2000)
	m.LateTicks(4)
	times(4, func() { m.Dropped(false) })
	m.Dropped(true)
	times(6, func() { m.Keyframe(true) })
	times(7, func() { m.Keyframe(false) })
	times(8, func() { m.AudioInput(room.AudioGap) })
	times(9, func() { m.AudioInput(room.AudioLate) })
	m.CPU(mixer.Stages[0], 1500*time.Millisecond)
	times(10, func() { m.Compose(time.Millisecond) })
	times(11, func() { m.Encode(time.Millisecond) })
	times(12, func() { m.Latency(time.Millisecond) })
	times(13, func() { m.EncoderSpeed(true) })
	times(14, func() { m.EncoderSpeed(false) })
	times(15, func() { m.Recording(room.RecordingRefused) })
	times(16, func() { m.Recording(room.RecordingComplete) })
	times(17, func() { m.Recording(room.RecordingLowDisk) })
	times(18, func() { m.Recording(room.RecordingFailed) })
	times(19, func() { m.Recording(room.RecordingEmpty) })
	times(20, func() { m.Joined(room.Publisher) })
	times(21, func() { m.Left(room.Viewer, room.LeftNeverConnected) })
	times(22, func() { m.Left(room.Participant, room.LeftByClient) })

	got := gathered(t, m, "counter", "histogram")
	want := map[string]float64{
		"mcu_pli_sent_total":                                                     2,
		"mcu_pli_received_total":                                                 3,
		"mcu_bytes_in_total":                                                     1000,
		"mcu_bytes_out_total":                                                    2000,
		"mcu_late_ticks_total":                                                   4,
		"mcu_dropped_frames_total":                                               5,
		`mcu_keyframes_total{reason="forced"}`:                                   6,
		`mcu_keyframes_total{reason="periodic"}`:                                 7,
		`mcu_audio_input_events_total{event="gap"}`:                              8,
		`mcu_audio_input_events_total{event="late"}`:                             9,
		`mcu_audio_input_events_total{event="reordered"}`:                        0,
		fmt.Sprintf("mcu_cpu_seconds_total{stage=%q}", mixer.Stages[0].String()): 1.5,
		fmt.Sprintf("mcu_cpu_seconds_total{stage=%q}", mixer.Stages[1].String()): 0,
		"mcu_mixer_tick_seconds_count":                                           10,
		"mcu_encode_seconds_count":                                               11,
		"mcu_added_latency_seconds_count":                                        12,
		`mcu_encoder_speed_changes_total{direction="faster"}`:                    13,
		`mcu_encoder_speed_changes_total{direction="slower"}`:                    14,
		"mcu_recordings_refused_total":                                           15,
		`mcu_recordings_ended_total{result="complete"}`:                          16,
		`mcu_recordings_ended_total{result="low_disk"}`:                          17,
		`mcu_recordings_ended_total{result="failed"}`:                            18,
		`mcu_recordings_ended_total{result="empty"}`:                             19,
		`mcu_sessions_joined_total{kind="publisher"}`:                            20,
		`mcu_sessions_joined_total{kind="participant"}`:                          0,
		`mcu_sessions_left_total{kind="viewer"}{reason="never_connected"}`:       21,
		`mcu_sessions_left_total{kind="participant"}{reason="left"}`:             22,
		`mcu_sessions_left_total{kind="participant"}{reason="never_connected"}`:  0,
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
}

// TestWebhookMetrics: mcu_webhook_events_total reads the webhook's counts
// at each scrape, by result; a server without a webhook has none.
func TestWebhookMetrics(t *testing.T) {
	m := NewMetrics()
	if got := gathered(t, m, "counter"); slices.ContainsFunc(slices.Collect(maps.Keys(got)), func(k string) bool { return strings.HasPrefix(k, "mcu_webhook") }) {
		t.Errorf("without a webhook: %v", got)
	}
	delivered, failed, dropped := uint64(5), uint64(2), uint64(1)
	m.CountWebhook(func() (uint64, uint64, uint64) { return delivered, failed, dropped })
	delivered++
	got := gathered(t, m, "counter")
	for result, want := range map[string]float64{"delivered": 6, "failed": 2, "dropped": 1} {
		if name := fmt.Sprintf("mcu_webhook_events_total{result=%q}", result); got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
}

// TestOverloadMetrics: the overload gauge and counters, and the ICE
// restarts, read the manager's state at each scrape.
func TestOverloadMetrics(t *testing.T) {
	m := NewMetrics()
	read := func() map[string]float64 {
		t.Helper()
		// The state a gauge, the counts counters (rate() takes them).
		got := gathered(t, m, "counter")
		got["mcu_overloaded"] = gathered(t, m, "gauge")["mcu_overloaded"]
		return got
	}
	refusing, refused, behind, restarts := false, uint64(0), uint64(0), uint64(0)
	m.overload = func() (bool, uint64, uint64) { return refusing, refused, behind }
	m.restarts = func() uint64 { return restarts }
	for _, c := range []struct {
		refusing        bool
		refused, behind uint64
		gauge           float64
	}{{false, 0, 0, 0}, {true, 3, 40, 1}, {false, 3, 41, 0}} {
		refusing, refused, behind, restarts = c.refusing, c.refused, c.behind, c.behind/10
		got := read()
		if got["mcu_ice_restarts_total"] != float64(restarts) {
			t.Errorf("%d ICE restarts: read %v", restarts, got["mcu_ice_restarts_total"])
		}
		if got["mcu_overloaded"] != c.gauge || got["mcu_joins_refused_overload_total"] != float64(c.refused) ||
			got["mcu_video_frames_behind_total"] != float64(c.behind) {
			t.Errorf("refusing %v, %d refused, %d behind: read %v, %v, %v", c.refusing, c.refused, c.behind,
				got["mcu_overloaded"], got["mcu_joins_refused_overload_total"], got["mcu_video_frames_behind_total"])
		}
	}
}

// gathered reads the registry's series of the given kinds ("counter",
// "gauge", "histogram": its count, as name_count), by name with their
// labels ({label="value"}).
func gathered(t *testing.T, m *Metrics, kinds ...string) map[string]float64 {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			name := f.GetName()
			for _, l := range s.GetLabel() {
				name += fmt.Sprintf("{%s=%q}", l.GetName(), l.GetValue())
			}
			switch {
			case s.Counter != nil && slices.Contains(kinds, "counter"):
				got[name] = s.GetCounter().GetValue()
			case s.Gauge != nil && slices.Contains(kinds, "gauge"):
				got[name] = s.GetGauge().GetValue()
			case s.Histogram != nil && slices.Contains(kinds, "histogram"):
				got[name+"_count"] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return got
}
