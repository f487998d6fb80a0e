package mediatest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// CommandTimeout bounds each ffmpeg or ffprobe run, whatever the caller's
// context says. Decoding a test clip takes well under a second; a minute
// means the tool hangs (for example on a stream that never ends).
const CommandTimeout = time.Minute

// maxStderr is how much of a failing tool's stderr goes into the error: the
// end, where ffmpeg says what went wrong.
const maxStderr = 2000

// run runs a command-line tool and returns its standard output.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return runSized(ctx, 0, name, args...)
}

// runSized is run for a tool expected to write about size bytes: the
// output buffer is allocated once instead of growing by doubling.
func runSized(ctx context.Context, size int, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	stdout.Grow(size + bytes.MinRead)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > maxStderr {
			msg = "..." + msg[len(msg)-maxStderr:]
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, fmt.Errorf("mediatest: %s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}

// ffprobe runs ffprobe quietly with JSON output.
func ffprobe(ctx context.Context, args ...string) ([]byte, error) {
	return run(ctx, "ffprobe", append([]string{"-v", "error", "-print_format", "json"}, args...)...)
}

// ffmpeg runs ffmpeg quietly, never reading standard input. size is the
// expected output size, or 0 if unknown.
func ffmpeg(ctx context.Context, size int, args ...string) ([]byte, error) {
	return runSized(ctx, size, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
}
