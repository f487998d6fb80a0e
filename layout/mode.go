package layout

import (
	"fmt"
	"strings"
)

// Mode selects how participants are arranged on the canvas. The zero value
// is Grid.
type Mode int

const (
	// Grid gives every participant an equal cell.
	Grid Mode = iota
	// Speaker gives one participant the top of the canvas and the others a
	// strip of thumbnails at the bottom.
	Speaker
)

// modeNames are the text forms of the modes, indexed by Mode.
var modeNames = [...]string{Grid: "grid", Speaker: "speaker"}

// String returns "grid" or "speaker", or "Mode(N)" for an unknown value.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode returns the mode named s ("grid" or "speaker", any case).
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if strings.EqualFold(s, name) {
			return Mode(m), nil
		}
	}
	return Grid, fmt.Errorf("%w %q", ErrUnknownMode, s)
}

// MarshalText implements encoding.TextMarshaler; unknown values are an error.
func (m Mode) MarshalText() ([]byte, error) {
	if m < 0 || int(m) >= len(modeNames) {
		return nil, fmt.Errorf("%w %d", ErrUnknownMode, int(m))
	}
	return []byte(modeNames[m]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler using ParseMode.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
