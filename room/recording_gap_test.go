package room

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/codec"
	"mcu/recorder"
)

// TestRecordingGapForcesAKeyframe: when a recording's queue overflows (the
// disk falls behind) and its video is dropped up to the next keyframe, the
// room asks the encoder for one, rather than leaving the file without
// video until the periodic keyframe (every 5 s).
func TestRecordingGapForcesAKeyframe(t *testing.T) {
	cfg := DefaultConfig()
	obs := &forcedKeyframes{}
	cfg.Observer = obs
	m := testManagerWith(t, cfg)
	logged := &records{level: slog.LevelWarn}
	t.Cleanup(func() { startRecorder = recorder.Start })
	startRecorder = func(dir, room string, now time.Time, wc recorder.WebMConfig, _ *slog.Logger) (*recorder.Recording, error) {
		return recorder.Start(dir, room, now, wc, slog.New(logged))
	}
	r, _ := recordingRoom(t, m, "gap")
	defer m.endJoin(r, Viewer)
	// The keyframe the start asked for (a file starts with one).
	waitUntil(t, "the recording's first forced keyframe", 3*time.Second, func() bool { return obs.forced.Load() > 0 })
	before := obs.forced.Load()
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	// Frames faster than the writer takes them fill the queue; their time,
	// before the file's start, makes the writer leave them out (no other
	// gap: nothing refused for its time).
	delta := codec.EncodedFrame{Data: []byte{0x11, 0, 0}, PTS: -time.Second, Duration: 33 * time.Millisecond}
	waitUntil(t, "the recording's queue to overflow", 3*time.Second, func() bool {
		for range 4 * 256 { // four times the queue (256 frames)
			rec.Video(delta)
		}
		return slices.ContainsFunc(logged.all(), func(r slog.Record) bool { return strings.Contains(r.Message, "dropping video") })
	})
	// Within 3 s: the periodic keyframe comes every 5 s, and is not forced.
	waitUntil(t, "a keyframe forced after the gap", 3*time.Second, func() bool { return obs.forced.Load() > before })
}
