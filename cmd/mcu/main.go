// Command mcu is a WebRTC MCU: it mixes everyone's video into one grid and
// everyone's audio into one mix, encodes once, and sends the result to every
// participant. `mcu mix` does the same offline, from files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"

	"mcu/codec"
)

const usage = `usage:
  mcu [serve] [flags]                          run the MCU (the default)
  mcu mix -o OUT.webm [flags] PARTICIPANT...   mix files into one WebM
  mcu load [-url URL] [-room R] [-n N] [PARTICIPANT...]  load-test a server
  mcu view [-url URL] [-room R] [-codec vp8|h264]          watch a room's mix as a WHEP viewer
  mcu token -room R [-ttl 1h] [-grants join,watch]        make a room token for a server with -auth-token
  mcu finish FILE.webm...                      finalize WebM files a killed mcu left unfinished
  mcu help                                     this text

Run "mcu serve -h", "mcu mix -h", "mcu load -h", "mcu view -h", "mcu token -h" or "mcu finish -h" for the flags of a command.
`

func main() {
	ctx, stop := stopContext()
	defer stop()
	// The Go heap of a busy room is small (~25 MB live at 16 participants,
	// mostly pictures and packet buffers) and allocated slowly (~5 MB/s), so
	// collecting at 25 % growth instead of 100 % costs no measurable CPU and
	// keeps ~30 MB off the peak RSS. GOGC still overrides it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	// MCU_CPUPROFILE=file writes a CPU profile of the whole run (for
	// developers).
	if path := os.Getenv("MCU_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// stopContext is cancelled by the first SIGTERM, interrupt or hangup (the
// terminal closed), which asks for a clean stop (recordings finalized).
// The signals' default action is restored then, so a second one ends the
// process at once; the files written so far still play. An interrupt or
// hangup the process was started to ignore (nohup, a background job of a
// script) stays ignored.
func stopContext() (context.Context, context.CancelFunc) {
	sigs := []os.Signal{syscall.SIGTERM}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGHUP} {
		if !signal.Ignored(sig) { // as a shell starts a job in the background
			sigs = append(sigs, sig)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serveCommand(ctx, rest, stdout, stderr)
	case "mix":
		err = mixCommand(ctx, rest, stdout, stderr)
	case "load":
		err = loadCommand(ctx, rest, stdout, stderr)
	case "view":
		err = viewCommand(ctx, rest, stdout, stderr)
	case "token":
		err = tokenCommand(ctx, rest, stdout, stderr)
	case "finish":
		err = finishCommand(ctx, rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mcu: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var ue usageError
	// Under the journal the last word is an error's (journalctl -p err
	// finds why the server stopped), as the logger's lines say theirs.
	prio := ""
	if underJournal(stderr) {
		prio = "<3>"
	}
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%smcu %s: %v\n", prio, cmd, err)
		if cmd == "serve" {
			// Not 2: Go exits 2 on a panic or a fatal error, which a
			// service manager is to restart; a configuration mistake is
			// not (deploy/mcu.service's RestartPreventExitStatus).
			return exitConfig
		}
		return 2
	default:
		fmt.Fprintf(stderr, "%smcu %s: %v\n", prio, cmd, err)
		return 1
	}
}

// exitConfig is serve's exit status for a mistake in its flags or
// environment (sysexits.h's EX_CONFIG).
const exitConfig = 78

// newLogger logs text to w at level, one level more detailed when verbose,
// and routes FFmpeg's warnings there too.
func newLogger(w io.Writer, level slog.Level, verbose bool) *slog.Logger {
	if verbose {
		level -= 4 // slog's levels are 4 apart
	}
	format := os.Getenv("MCU_LOG_FORMAT")
	log := slog.New(logHandler(w, &slog.HandlerOptions{Level: level}, format == "json", underJournal(w)))
	if format != "" && format != "json" && format != "text" {
		log.Warn("MCU_LOG_FORMAT: want text or json; text it is", "MCU_LOG_FORMAT", format)
	}
	codec.SetLogger(log)
	return log
}

// logHandler writes records to w as text, or as JSON (MCU_LOG_FORMAT=json:
// one object a line, for a log shipper). Under systemd's journal, each line
// starts with its syslog priority ("<3>" for an error), which journald
// takes off and keeps as the entry's PRIORITY (SyslogLevelPrefix=, on by
// default): without it every line is info, and "journalctl -p warning"
// shows none of the server's warnings and errors.
func logHandler(w io.Writer, opts *slog.HandlerOptions, json, journal bool) slog.Handler {
	newHandler := func(w io.Writer) slog.Handler {
		if json {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	if !journal {
		return newHandler(w)
	}
	mu := new(sync.Mutex)
	var h journalHandler
	for i, prio := range []string{"<7>", "<6>", "<4>", "<3>"} {
		h[i] = newHandler(&prefixWriter{w: w, prefix: prio, mu: mu})
	}
	return h
}

// journalHandler hands a record to the handler of its level's syslog
// priority: debug, info, warning, error.
type journalHandler [4]slog.Handler

func (h journalHandler) pick(l slog.Level) slog.Handler {
	switch {
	case l >= slog.LevelError:
		return h[3]
	case l >= slog.LevelWarn:
		return h[2]
	case l >= slog.LevelInfo:
		return h[1]
	}
	return h[0]
}

func (h journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h[0].Enabled(ctx, l)
}

func (h journalHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i := range h {
		h[i] = h[i].WithAttrs(as)
	}
	return h
}

func (h journalHandler) WithGroup(name string) slog.Handler {
	for i := range h {
		h[i] = h[i].WithGroup(name)
	}
	return h
}

// prefixWriter writes each line (a record) to w after prefix, in one write.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mu     *sync.Mutex // shared by the four priorities' writers
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// underJournal reports whether w is the stream systemd connected to the
// journal (JOURNAL_STREAM names its device and inode).
func underJournal(w io.Writer) bool {
	f, ok := w.(*os.File)
	stream := os.Getenv("JOURNAL_STREAM")
	if !ok || stream == "" {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fmt.Sprintf("%d:%d", st.Dev, st.Ino) == stream
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ error }

// parseFlags parses a command's args into fs. done says the command is to
// return err at once: -h was asked (err nil: fs printed the usage), or the
// line is wrong (a usageError). Arguments after the flags are a mistake
// unless positional.
func parseFlags(fs *flag.FlagSet, args []string, positional bool) (done bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return true, usageError{err}
	}
	if !positional && fs.NArg() > 0 {
		return true, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return false, nil
}
