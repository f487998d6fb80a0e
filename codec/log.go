//go:build cgo

package codec

/*
#cgo pkg-config: libavutil
#include <stdlib.h>
#include <libavutil/log.h>

void mcu_log_install(void);          // log.c
void mcu_log_through(int ctx, int level, const char *msg);
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unsafe"
)

var logOnce sync.Once

// SetLogger routes FFmpeg's log lines (warnings and errors only) to logger.
// It may be called more than once; the last logger wins.
func SetLogger(logger *slog.Logger) {
	ffmpegLogger.Store(logger)
	logOnce.Do(func() { C.mcu_log_install() })
}

// warn logs one of mcu's own warnings about the codecs to SetLogger's logger.
func warn(msg string, args ...any) {
	if lg := ffmpegLogger.Load(); lg != nil {
		lg.Warn(msg, args...)
	}
}

//export mcuLogLine
func mcuLogLine(level C.int, msg *C.char) {
	lg := ffmpegLogger.Load()
	if lg == nil {
		return
	}
	text := strings.TrimSpace(C.GoString(msg))
	if text == "" {
		return
	}
	l := slog.LevelWarn
	if level <= C.AV_LOG_ERROR {
		l = slog.LevelError
	}
	if !lg.Enabled(context.Background(), l) {
		return // not counted against the limit
	}
	ok, reportIn := ffmpegLines.allow(time.Now(), l)
	if ok {
		lg.Log(context.Background(), l, "ffmpeg", "msg", text)
	} else if reportIn > 0 {
		time.AfterFunc(reportIn, func() {
			// At the level of the lines held back, to the logger then set.
			if n, level := ffmpegLines.take(); n > 0 {
				if lg := ffmpegLogger.Load(); lg != nil {
					lg.Log(context.Background(), level, "ffmpeg: lines held back", "count", n, "window", logWindow)
				}
			}
		})
	}
}

// logThrough writes msg with FFmpeg's av_log at level (an AV_LOG_ value),
// from no context (ctx 0) or one of two made up (1, 2), as FFmpeg's own
// code writes its lines: for tests of the callback.
func logThrough(ctx, level int, msg string) {
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	C.mcu_log_through(C.int(ctx), C.int(level), cs)
}

// FFmpeg's log levels, for logThrough.
const (
	avLogError   = int(C.AV_LOG_ERROR)
	avLogWarning = int(C.AV_LOG_WARNING)
	avLogInfo    = int(C.AV_LOG_INFO)
)
