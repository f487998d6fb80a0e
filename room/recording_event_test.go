package room

import (
	"errors"
	"testing"
)

// TestRecordingEnd: how a recording's stop is counted, from what the stop
// returned. A stop on a nearly full disk whose finalizing failed too is a
// failure, not a low-disk end (its file is not finalized).
func TestRecordingEnd(t *testing.T) {
	other := errors.New("write: input/output error")
	for _, c := range []struct {
		path string
		err  error
		want RecordingEvent
	}{
		{"/r/a.webm", nil, RecordingComplete},
		{"/r/a.webm", ErrNothingRecorded, RecordingEmpty},
		{"/r/a.webm", errors.Join(ErrNothingRecorded, other), RecordingEmpty},
		{"/r/a.webm", ErrLowDisk, RecordingLowDisk},
		{"/r/a.webm", errors.Join(ErrLowDisk), RecordingLowDisk},
		{"/r/a.webm", errors.Join(ErrLowDisk, other), RecordingFailed},
		{"", ErrLowDisk, RecordingFailed},
		{"/r/a.webm", other, RecordingFailed},
	} {
		if got := RecordingEndOf(c.path, c.err); got != c.want {
			t.Errorf("RecordingEndOf(%q, %v) = %v, want %v", c.path, c.err, got, c.want)
		}
	}
}
