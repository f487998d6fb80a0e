//go:build cgo

package codec

/*
#cgo pkg-config: libavutil
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <libavutil/log.h>

extern void mcuLogLine(int level, char *msg);

// The start of a line FFmpeg writes in several calls ("Packet corrupt
// (...)" then ", dropping it.\n"), kept by the thread writing it, at the
// most severe level of its parts.
static _Thread_local char mcu_log_line[1024];
static _Thread_local size_t mcu_log_len;
static _Thread_local int mcu_log_level;

// mcu_log formats with a bounded buffer (FFmpeg's lines are short; longer
// ones are truncated, never overflowed) and hands each whole line to Go.
static void mcu_log(void *avcl, int level, const char *fmt, va_list vl) {
	if (level > av_log_get_level()) return;
	size_t room = sizeof mcu_log_line - mcu_log_len;
	int n = vsnprintf(mcu_log_line + mcu_log_len, room, fmt, vl);
	if (n < 0) n = 0;
	if (mcu_log_len == 0 || level < mcu_log_level) mcu_log_level = level;
	int ended = (size_t)n >= room || (n > 0 && mcu_log_line[mcu_log_len + n - 1] == '\n');
	mcu_log_len += (size_t)n < room ? (size_t)n : room - 1;
	if (!ended) return; // the rest of the line comes in the next call
	mcuLogLine(mcu_log_level, mcu_log_line);
	mcu_log_len = 0;
	mcu_log_line[0] = 0;
}

static void mcu_log_install(void) {
	av_log_set_level(AV_LOG_WARNING);
	av_log_set_callback(mcu_log);
}
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
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
