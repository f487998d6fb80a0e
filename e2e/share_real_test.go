package e2e_test

import (
	"testing"

	"mcu/internal/testserver"
)

// TestDemoPageSharesChromiumsScreen: the demo page shares what Chromium's
// own getDisplayMedia gives (with the fake devices, an 800x600 "screen"),
// clicked as a person would: the server decodes it and shows it as a
// share (the room in the speaker layout), and Stop sharing ends it.
func TestDemoPageSharesChromiumsScreen(t *testing.T) {
	requireTools(t)
	const room = "e2e-realshare"
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	text, click, waitText := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	click("Share screen", "#share")
	waitFor(t, b, joinTimeout, `document.getElementById("share").textContent === "Stop sharing" || document.getElementById("error").textContent !== ""`)
	if got := text("share"); got != "Stop sharing" {
		t.Fatalf("Share screen: the button says %q, the error line %q", got, text("error"))
	}
	waitUntil(t, joinTimeout, "the screen decoded as a share, the room in the speaker layout", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, q := range info.Participants {
			if q.Content && q.Width > 0 && q.Height > 0 {
				return info.Layout == "speaker"
			}
		}
		return false
	})
	click("Stop sharing", "#share")
	waitText("share", "Share screen")
	waitUntil(t, uiTimeout, "the share over, the grid again", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		return len(info.Participants) == 1 && info.Layout == "grid"
	})
}
