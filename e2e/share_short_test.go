package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDemoPageShortWindowKeepsStopSharing: a desktop window made short
// (a laptop's browser beside another window, under 30rem high) while a
// screen is shared still shows "Stop sharing": the short-window rule for
// phones, which share no screen, must not take the page's way to end a
// share.
func TestDemoPageShortWindowKeepsStopSharing(t *testing.T) {
	requireTools(t)
	const room = "e2e-share-short"
	_, b := sharingPage(t, room)
	do(t, b, evalTimeout, "make the window short", chromedp.EmulateViewport(1200, 440, chromedp.EmulateLandscape))
	if shown := eval[bool](t, b, evalTimeout, `getComputedStyle(document.getElementById("share")).display !== "none"`); !shown {
		t.Error("a short desktop window hides Stop sharing while a screen is shared")
	}
}
