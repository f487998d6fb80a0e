package audio

import "errors"

// ErrConfig is wrapped by every error that Validate methods return, so a
// caller can tell a bad configuration apart with errors.Is.
var ErrConfig = errors.New("audio: invalid config")
