package main

import (
	"context"
	"strings"
	"testing"
)

// TestTokenHelpNamesWhatControlAllows: mcu token -h tells everything the
// control grant allows: the recording, the layout, and a moderator's
// mute and removal of someone in the room.
func TestTokenHelpNamesWhatControlAllows(t *testing.T) {
	var usage strings.Builder
	if err := tokenCommand(context.Background(), []string{"-h"}, new(strings.Builder), &usage); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(usage.String()), " ")
	for _, want := range []string{"recording", "layout", "mute", "remove", "lock"} {
		if !strings.Contains(text, want) {
			t.Errorf("mcu token -h does not say that control allows to %s:\n%s", want, usage.String())
		}
	}
}
