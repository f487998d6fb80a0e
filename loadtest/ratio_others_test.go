package loadtest

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNoRatioWithOtherRooms: the server's CPU (/proc) is the whole
// process's, the codec cost one room's: when its /metrics show another
// room, more participants than the load's or viewers over the window,
// no ratio is given (a live run beside another room of 3 read 0.62 cores
// against a cost of 0.265, its encode stage two encoders' worth).
func TestNoRatioWithOtherRooms(t *testing.T) {
	for _, gauges := range []string{
		"mcu_rooms 2\nmcu_participants 5\nmcu_viewers 0\n",
		"mcu_rooms 1\nmcu_participants 3\nmcu_viewers 0\n",
		"mcu_rooms 1\nmcu_participants 2\nmcu_viewers 1\n",
	} {
		start, err := ParseMetrics(strings.NewReader(gauges + "process_cpu_seconds_total 10\n"))
		if err != nil {
			t.Fatal(err)
		}
		end, err := ParseMetrics(strings.NewReader(gauges + "process_cpu_seconds_total 16\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := goodRun()
		r.Metrics.MetricsDelta = metricsDelta(start, end)
		var b bytes.Buffer
		r.WriteSummary(&b)
		if got := r.Ratio(); !math.IsNaN(got) || !strings.Contains(b.String(), "its CPU is theirs too") {
			t.Errorf("%q: ratio %.2f given for a load of 1 room of 2:\n%s", gauges, got, grep(b.String(), "codec cost"))
		}
	}
	// The load's own room alone: given.
	gauges := "mcu_rooms 1\nmcu_participants 2\nmcu_viewers 0\n"
	start, _ := ParseMetrics(strings.NewReader(gauges))
	end, _ := ParseMetrics(strings.NewReader(gauges))
	r := goodRun()
	r.Metrics.MetricsDelta = metricsDelta(start, end)
	if got := r.Ratio(); math.IsNaN(got) {
		t.Error("no ratio for a server holding the load's room alone")
	}
}

// TestNoRatioForAnotherLayoutOrARecording: the codec cost composes the
// load's layout (the grid) and records nothing; a room in the speaker
// layout (-layout speaker, the API) or recorded (-auto-record) gets no
// ratio: the speaker layout's encode read 0.88 of the grid's over nine
// busy clips.
func TestNoRatioForAnotherLayoutOrARecording(t *testing.T) {
	cfg := goodRun().Config
	vc := cfg.Mixer.Video
	mix := map[string]any{"width": vc.Width, "height": vc.Height, "fps": vc.FPS, "bitrate": vc.Bitrate, "max_bitrate": vc.Bitrate,
		"voices": cfg.Mixer.Voices, "speed": vc.Speed, "frames": 300}
	two := []any{map[string]any{}, map[string]any{}}
	for _, c := range []struct {
		name string
		room map[string]any
		why  string
	}{
		{"speaker layout", map[string]any{"layout": "speaker", "participants": two, "mixer": mix}, "the room's layout is speaker"},
		{"recording", map[string]any{"layout": "grid", "participants": two, "recording": map[string]any{"path": "x.webm"}, "mixer": mix}, "the room was recorded"},
		{"the load's", map[string]any{"layout": "grid", "participants": two, "mixer": mix}, ""},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { json.NewEncoder(w).Encode(c.room) }))
		info, err := roomInfo(t.Context(), srv.URL, "r", "")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := goodRun()
		r.Room = info.Mixer.sub(RoomMixer{}) // as Run does
		r.Room.Participants, r.Room.Viewers = len(info.Participants), info.Viewers
		var b bytes.Buffer
		r.WriteSummary(&b)
		got := r.Ratio()
		if c.why == "" && math.IsNaN(got) || c.why != "" && (!math.IsNaN(got) || !strings.Contains(b.String(), c.why)) {
			t.Errorf("%s: ratio %.2f:\n%s", c.name, got, grep(b.String(), "codec cost"))
		}
	}
	// A layout changed between the two reads of the room.
	grid, speaker := RoomMixer{Layout: "grid", Frames: 10}, RoomMixer{Layout: "speaker", Frames: 20}
	if got := speaker.sub(grid).Layout; got != "changed" {
		t.Errorf("layout grid then speaker over the window: %q, want changed", got)
	}
}

// TestNoRatioWithAParticipantWithoutPictures: a participant whose
// connection never came up (Connect returned, the window opened after
// JoinTimeout) received nothing, and the server decoded nothing of it,
// while the codec cost decodes it: no ratio.
func TestNoRatioWithAParticipantWithoutPictures(t *testing.T) {
	r := goodRun()
	r.Participants[1].Frames, r.Participants[1].FPS = 0, 0
	var b bytes.Buffer
	r.WriteSummary(&b)
	if got := r.Ratio(); !math.IsNaN(got) || !strings.Contains(b.String(), "1 participants never received a picture") {
		t.Errorf("ratio %.2f given with a participant that never got a picture:\n%s", got, grep(b.String(), "never", "codec cost:"))
	}
}

// TestMachineCPUsFromProcStat: the machine line's CPU count is the CPUs
// /proc/stat's time covers (every one of the machine's), not the ones this
// process may run on (runtime.NumCPU: one under taskset -c 0).
func TestMachineCPUsFromProcStat(t *testing.T) {
	root := t.TempDir()
	stat := "cpu  400 0 400 1000 0 0 0 0 0 0\ncpu0 100 0 100 250 0 0 0 0 0 0\ncpu1 100 0 100 250 0 0 0 0 0 0\n" +
		"cpu2 100 0 100 250 0 0 0 0 0 0\ncpu3 100 0 100 250 0 0 0 0 0 0\nintr 1 2 3\nctxt 5\n"
	if err := os.WriteFile(filepath.Join(root, "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := machineCPUs(root)
	if err != nil || n != 4 {
		t.Fatalf("machineCPUs: %d, %v; want 4", n, err)
	}
	r := goodRun()
	r.MachineCPU, r.MachineCPUs = 15*time.Second, n // over a 10 s window
	var b bytes.Buffer
	r.WriteSummary(&b)
	if !strings.Contains(b.String(), "machine: 1.50 of 4 cores busy") {
		t.Errorf("summary:\n%s", grep(b.String(), "machine:"))
	}
}

// TestSummaryTellsWholePictures: a receiver that got some packet of every
// picture but lost part of many (a capped link: 45 % of its packets lost
// read 29.5 fps and no freeze) is told by the share of its pictures that
// came whole.
func TestSummaryTellsWholePictures(t *testing.T) {
	r := goodRun()
	for i := range r.Participants {
		r.Participants[i].WholeFrames = r.Participants[i].Frames
	}
	r.Participants[0].WholeFrames = r.Participants[0].Frames * 3 / 10
	var b bytes.Buffer
	r.WriteSummary(&b)
	if line := grep(b.String(), "came whole"); !strings.Contains(line, "min 30.0 %") || !strings.Contains(line, "median") {
		t.Errorf("the summary's line on whole pictures: %q, want min 30.0 %%", line)
	}
}
