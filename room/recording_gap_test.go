package room

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"mcu/codec"
	"mcu/recorder"
)

// overflowLog notes that a recording dropped video for a full queue (its
// first such drop is logged as falling behind the disk).
type overflowLog struct{ video atomic.Bool }

func (h *overflowLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *overflowLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *overflowLog) WithGroup(string) slog.Handler            { return h }

func (h *overflowLog) Handle(_ context.Context, rec slog.Record) error {
	if strings.Contains(rec.Message, "dropping video") {
		h.video.Store(true)
	}
	return nil
}

// TestRecordingGapForcesAKeyframe: when a recording's queue overflows (the
// disk falls behind) and its video is dropped up to the next keyframe, the
// room asks the encoder for one, rather than leaving the file without
// video until the periodic keyframe (every 5 s).
func TestRecordingGapForcesAKeyframe(t *testing.T) {
	cfg := DefaultConfig()
	obs := &forcedKeyframes{}
	cfg.Observer = obs
	m := testManagerWith(t, cfg)
	logged := &overflowLog{}
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
		return logged.video.Load()
	})
	// Within 3 s: the periodic keyframe comes every 5 s, and is not forced.
	waitUntil(t, "a keyframe forced after the gap", 3*time.Second, func() bool { return obs.forced.Load() > before })
}
