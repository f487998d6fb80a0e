package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"mcu/recorder"
)

const finishUsage = `usage: mcu finish FILE.webm...

Finalizes WebM files that a killed mcu left unfinished (its output of
mcu mix, or a recording of a server killed without its SIGTERM): each is
rewritten in place with its duration and cues, so that players can seek
in it; the pictures and sound are the same, up to the last whole block.
A server finishes its own recordings by itself at its next start; this is
for files elsewhere. A file finalized already, or one still being
written, is left as it is, and said so.

Exit status: 0; 1 when a file could not be finished; 2 for a mistake on
the command line.
`

func finishCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("finish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, finishUsage) }
	if done, err := parseFlags(fs, args, true); done {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no file to finish")}
	}
	var failed error
	for _, path := range fs.Args() {
		unfinished, err := recorder.Unfinished(path)
		if err == nil && !isWebM(path) {
			err = errors.New("not a WebM file")
		}
		switch {
		case err != nil:
			failed = fmt.Errorf("%s: %w", path, err)
			fmt.Fprintf(stderr, "mcu finish: %v\n", failed)
			continue
		case !unfinished:
			fmt.Fprintf(stdout, "%s: finalized already\n", path)
			continue
		}
		ok, err := recorder.FinishFile(ctx, path)
		switch {
		case err != nil:
			failed = err
			fmt.Fprintf(stderr, "mcu finish: %v\n", err)
		case !ok:
			fmt.Fprintf(stdout, "%s: being written, left as it is\n", path)
		default:
			fmt.Fprintf(stdout, "%s: finished\n", path)
		}
	}
	if failed != nil {
		return errors.New("some files were not finished")
	}
	return nil
}

// isWebM reports whether the file at path starts as a WebM (an EBML
// header) does.
func isWebM(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	_, err = io.ReadFull(f, head[:])
	return err == nil && head == [4]byte{0x1a, 0x45, 0xdf, 0xa3}
}
