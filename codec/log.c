//go:build cgo

// FFmpeg's log callback (installed by SetLogger, log.go): each whole line
// FFmpeg writes goes to mcuLogLine in Go.

#include <stdarg.h>
#include <stdio.h>
#include <libavutil/log.h>
#include "_cgo_export.h"

// The start of a line FFmpeg writes in several calls ("Packet corrupt
// (...)" then ", dropping it.\n"), kept by the thread writing it: the
// context that writes it, and the most severe level of its parts. A line
// longer than the buffer is cut (never overflowed).
static _Thread_local char line[1024];
static _Thread_local size_t len;
static _Thread_local int line_level;
static _Thread_local void *line_ctx;

static void flush(void) {
	mcuLogLine(line_level, line);
	len = 0;
	line[0] = 0;
}

static void mcu_log(void *avcl, int level, const char *fmt, va_list vl) {
	if (level > av_log_get_level()) return;
	// A line held for its end that another context follows on this thread
	// is a message FFmpeg wrote without its '\n' (it has a few): whole as
	// it is, not the start of the next.
	if (len > 0 && avcl != line_ctx) flush();
	if (len == 0) {
		line_ctx = avcl;
		line_level = level;
	} else if (level < line_level) {
		line_level = level; // lower is more severe
	}
	size_t room = sizeof line - len;
	int n = vsnprintf(line + len, room, fmt, vl);
	if (n < 0) {
		line[len] = 0;
		n = 0;
	}
	int ended = (size_t)n >= room || (n > 0 && line[len + n - 1] == '\n');
	len += (size_t)n < room ? (size_t)n : room - 1;
	if (ended) flush();
}

void mcu_log_install(void) {
	av_log_set_level(AV_LOG_WARNING);
	av_log_set_callback(mcu_log);
}

// mcu_log_through writes msg with av_log as FFmpeg's own code does, from
// no context (ctx 0) or from one of two made up (1, 2): for tests.
void mcu_log_through(int ctx, int level, const char *msg) {
	static void *contexts[2]; // each a NULL AVClass pointer, as av_log reads one
	av_log(ctx > 0 && ctx <= 2 ? (void *)&contexts[ctx - 1] : NULL, level, "%s", msg);
}
