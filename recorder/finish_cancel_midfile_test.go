//go:build cgo

package recorder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestFinishStopsWhenCancelledMidFile: a stop (SIGTERM) that comes while
// a recording is being finished ends that finish at once, not after the
// rest of the file (an hour's recording is gigabytes): Finish returns the
// cancellation and its copy is left without a trailer.
func TestFinishStopsWhenCancelledMidFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "r-20260101T000001Z.webm")
	killedRecording(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out *WebMWriter
	err := Finish(ctx, src, func(cfg WebMConfig) (*WebMWriter, error) {
		cancel() // the stop comes as the copy starts
		var err error
		out, err = CreateWebM(filepath.Join(dir, "copy.webm"), cfg)
		return out, err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Finish cancelled mid-file: %v, want context.Canceled", err)
	}
	if out != nil && out.VideoFrames+out.AudioFrames > 0 {
		t.Errorf("the copy took %d pictures and %d sounds after the stop", out.VideoFrames, out.AudioFrames)
	}
	if _, err := os.Stat(src); err != nil {
		t.Errorf("the recording: %v", err)
	}
}
