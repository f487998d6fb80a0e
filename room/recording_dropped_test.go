package room

import (
	"encoding/json"
	"testing"
	"time"

	"mcu/codec"
)

// TestRecordingGapShown: frames a recording drops because its disk
// fell behind (its queue full) leave a hole in the file; the room's state
// says how many, so that an operator can tell a recording with holes from
// a whole one while it runs (the log says so once per recording only),
// and so does its recording_finished.
func TestRecordingGapShown(t *testing.T) {
	cfg := DefaultConfig()
	var l eventLog
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	r, _ := recordingRoom(t, m, "holes")
	defer m.endJoin(r, Viewer)
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	// Frames faster than the writer takes them fill the queue (their time,
	// before the file's start, has the writer leave them out).
	delta := codec.EncodedFrame{Data: []byte{0x11, 0, 0}, PTS: -time.Second, Duration: 33 * time.Millisecond}
	shown := func() (uint64, bool) {
		data, err := json.Marshal(r.Info())
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			Recording map[string]any `json:"recording"`
		}
		if err := json.Unmarshal(data, &info); err != nil {
			t.Fatal(err)
		}
		n, ok := info.Recording["dropped_frames"].(float64)
		return uint64(n), ok
	}
	waitUntil(t, "the room's state to show the recording's dropped frames", 3*time.Second, func() bool {
		for range 4 * 256 { // four times the queue (256 frames)
			rec.Video(delta)
		}
		n, _ := shown()
		return n > 0
	})
	n, _ := shown()
	if _, err := r.StopRecording(); err != nil {
		t.Logf("stop: %v", err)
	}
	for _, e := range l.all() {
		if e.Type == EventRecordingFinished {
			if e.DroppedFrames < n {
				t.Errorf("recording_finished tells %d frames dropped, the room's state told %d before", e.DroppedFrames, n)
			}
			return
		}
	}
	t.Error("no recording_finished")
}
