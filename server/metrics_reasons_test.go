package server

import (
	"strings"
	"testing"

	"mcu/room"
)

// TestSessionsLeftHelpNamesEveryReason: mcu_sessions_left_total's help
// says what each of its reason labels means, owner_left and removed too.
func TestSessionsLeftHelpNamesEveryReason(t *testing.T) {
	m := NewMetrics()
	mfs, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "mcu_sessions_left_total" {
			continue
		}
		for _, why := range room.LeftReasons {
			if !strings.Contains(mf.GetHelp(), why+" (") {
				t.Errorf("mcu_sessions_left_total's help does not say what %q is: %s", why, mf.GetHelp())
			}
		}
		return
	}
	t.Fatal("no mcu_sessions_left_total")
}
