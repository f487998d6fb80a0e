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
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mcu %s: %v\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(stderr, "mcu %s: %v\n", cmd, err)
		return 1
	}
}

// newLogger logs text to w at level, one level more detailed when verbose,
// and routes FFmpeg's warnings there too.
func newLogger(w io.Writer, level slog.Level, verbose bool) *slog.Logger {
	if verbose {
		level -= 4 // slog's levels are 4 apart
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	codec.SetLogger(log)
	return log
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
