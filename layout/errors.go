package layout

import "errors"

// ErrUnknownMode is returned (wrapped) when a layout mode name is not known.
var ErrUnknownMode = errors.New("layout: unknown mode")

// ErrUnknownAspect is returned (wrapped) when an aspect name is not known.
var ErrUnknownAspect = errors.New("layout: unknown aspect")
