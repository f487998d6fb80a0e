package e2e_test

import (
	"fmt"
	"testing"

	"mcu/internal/testserver"
)

// TestDemoPageSharesAScreenFirefox: Firefox's "Share screen" publishes a
// shared screen (stubScreen for getDisplayMedia: headless Firefox has no
// screen to give), which the server decodes and shows as a share, the
// room in the speaker layout; pressed again, the share ends and the room
// is back in the grid.
func TestDemoPageSharesAScreenFirefox(t *testing.T) {
	const room = "e2e-share-ff"
	srv := testserver.Start(t, nil)
	f := launchFirefox(t, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	f.run(t, `document.getElementById("name").value = "Grace"`)
	f.run(t, `document.getElementById("join").click()`)
	f.waitFor(t, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+room)))
	f.waitFor(t, uiTimeout, `!document.getElementById("share").hidden`)
	f.run(t, stubScreen)
	f.run(t, `document.getElementById("share").click()`)
	f.waitFor(t, joinTimeout, `document.getElementById("share").textContent === "Stop sharing" || document.getElementById("error").textContent !== ""`)
	if got := f.text(t, "share"); got != "Stop sharing" {
		t.Fatalf("Share screen in Firefox: the button says %q, the error line %q", got, f.text(t, "error"))
	}
	waitUntil(t, joinTimeout, "the screen decoded as a share, the room in the speaker layout", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, q := range info.Participants {
			if q.Content && q.Width > 0 {
				return info.Layout == "speaker"
			}
		}
		return false
	})
	f.run(t, `document.getElementById("share").click()`)
	waitUntil(t, uiTimeout, "the share over, the grid again", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		return len(info.Participants) == 1 && info.Layout == "grid"
	})
}
