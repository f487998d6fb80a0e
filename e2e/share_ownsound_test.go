package e2e_test

import (
	"testing"

	"mcu/internal/testserver"
)

// TestDemoPageSharesNotTheRoomsOwnSound: the demo page asks for a
// screen's sound without what this page plays, the room's mix: the
// system's sound (Chromium offers it with a whole screen, on Windows and
// ChromeOS) and this tab's hold it, and everyone else would hear the
// room again, late. So either the browser takes the page's own sound out
// (restrictOwnAudio), or the system's is not offered; this tab never is.
func TestDemoPageSharesNotTheRoomsOwnSound(t *testing.T) {
	requireTools(t)
	const room = "e2e-own-sound"
	srv := testserver.Start(t, nil)
	b := launch(t, participants(t, 4)[0], fakeMedia(t, participants(t, 4))[0], srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	_, click, _ := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	eval[bool](t, b, evalTimeout, `(() => {
		navigator.mediaDevices.getDisplayMedia = async (want) => {
			window.screenAsked = want;
			throw new DOMException("the test's", "NotAllowedError");
		};
		return true;
	})()`)
	click("Share screen", "#share")
	waitFor(t, b, uiTimeout, `window.screenAsked !== undefined`)
	if !eval[bool](t, b, evalTimeout, `!!window.screenAsked.audio && window.screenAsked.selfBrowserSurface === "exclude" &&
		(window.screenAsked.systemAudio === "exclude" || window.screenAsked.audio.restrictOwnAudio === true)`) {
		t.Errorf("the page asked getDisplayMedia for %s: its own sound, the room's mix, may be shared back into the room",
			eval[string](t, b, evalTimeout, `JSON.stringify(window.screenAsked)`))
	}
}
