package offline

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
)

// TestFileVideoWaitsForItsTile: a file's decoder decodes nothing until the
// mixer has told it its tile, so its first picture already has the tile's
// size (pictures decoded at the clip's own size before that used to make a
// 16-person mix's peak memory).
func TestFileVideoWaitsForItsTile(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf")) // 640x360
	if err != nil {
		t.Fatal(err)
	}
	slots := make(chan struct{}, 1)
	v := newFileVideo(p.Video, p.videoInfo, time.Second/30, slots, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.run(ctx) }()

	select {
	case f := <-v.ready:
		t.Fatalf("a %dx%d picture came before the tile was set", f.Width(), f.Height())
	case err := <-done:
		t.Fatalf("run ended before the tile was set: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	v.SetBox(layout.Size{W: 320, H: 180}, layout.Fit)
	select {
	case f := <-v.ready:
		if f.Width() != 320 || f.Height() != 180 {
			t.Errorf("first picture %dx%d, want the tile's 320x180", f.Width(), f.Height())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no picture after the tile was set")
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("run returned nil after cancel")
	}
}
