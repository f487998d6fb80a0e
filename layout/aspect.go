package layout

import (
	"fmt"
	"strings"
)

// Aspect selects how Place treats a source whose shape differs from its
// cell. The zero value is Fit.
type Aspect int

const (
	// Fit shows the whole source, letterboxed or pillarboxed in the cell.
	Fit Aspect = iota
	// Fill covers the whole cell, cropping the source.
	Fill
)

// aspectNames are the text forms of the aspects, indexed by Aspect.
var aspectNames = [...]string{Fit: "fit", Fill: "fill"}

// String returns "fit" or "fill", or "Aspect(N)" for an unknown value.
func (a Aspect) String() string {
	if a >= 0 && int(a) < len(aspectNames) {
		return aspectNames[a]
	}
	return fmt.Sprintf("Aspect(%d)", int(a))
}

// ParseAspect returns the aspect named s ("fit" or "fill", any case).
func ParseAspect(s string) (Aspect, error) {
	for a, name := range aspectNames {
		if strings.EqualFold(s, name) {
			return Aspect(a), nil
		}
	}
	return Fit, fmt.Errorf("%w %q", ErrUnknownAspect, s)
}

// MarshalText implements encoding.TextMarshaler; unknown values are an error.
func (a Aspect) MarshalText() ([]byte, error) {
	if a < 0 || int(a) >= len(aspectNames) {
		return nil, fmt.Errorf("%w %d", ErrUnknownAspect, int(a))
	}
	return []byte(aspectNames[a]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler using ParseAspect.
func (a *Aspect) UnmarshalText(b []byte) error {
	v, err := ParseAspect(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
