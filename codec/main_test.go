//go:build cgo

package codec

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps FFmpeg's warnings about deliberately damaged input out of
// the test output (MCU_TEST_FFMPEG_LOG=1 shows them).
func TestMain(m *testing.M) {
	w := io.Discard
	if os.Getenv("MCU_TEST_FFMPEG_LOG") != "" {
		w = os.Stderr
	}
	SetLogger(slog.New(slog.NewTextHandler(w, nil)))
	os.Exit(m.Run())
}
