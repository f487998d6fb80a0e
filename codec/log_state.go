package codec

import (
	"log/slog"
	"sync/atomic"
)

// ffmpegLogger receives FFmpeg's own log lines; see SetLogger.
var ffmpegLogger atomic.Pointer[slog.Logger]
