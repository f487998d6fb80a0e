package main

import (
	"context"
	"errors"
	"io"
)

// loadCommand runs `mcu load` (see the loadtest package).
func loadCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("not implemented yet")
}
