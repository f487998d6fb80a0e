package e2e_test

import (
	"testing"
)

// TestDemoPageShareEndedByTheServer: a share the server ends (its
// connection failed, as Manager.End ends it) is over on the page too: the
// button offers to share again and the browser stops capturing the
// screen, rather than "Stop sharing" over a screen nobody sees.
func TestDemoPageShareEndedByTheServer(t *testing.T) {
	requireTools(t)
	const room = "e2e-share-ended-by-server"
	srv, b := sharingPage(t, room)
	_, _, waitText := pageActions(t, b)
	var share string
	waitUntil(t, uiTimeout, "the share listed", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, q := range info.Participants {
			if q.Content {
				share = q.ID
			}
		}
		return share != ""
	})
	if err := srv.Rooms.End(room, share); err != nil {
		t.Fatal(err)
	}
	waitText("share", "Share screen")
	waitFor(t, b, uiTimeout, `window.screenStream.getVideoTracks()[0].readyState === "ended"`)
}
