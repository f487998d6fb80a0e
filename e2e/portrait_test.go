package e2e_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
	"mcu/room"
)

// TestDemoPortraitCanvas: a server whose canvas is portrait (-size
// 720x1280, for phones held upright) has the demo page on such a phone
// show the mix across the screen's width, as the page's own box for it
// takes the picture's shape; a 16:9 box would draw it a third as wide.
// Held sideways, the mix and the Leave button still fit the screen.
func TestDemoPortraitCanvas(t *testing.T) {
	requireTools(t)
	p := participants(t, 1)[0]
	srv := testserver.Start(t, func(c *room.Config) { c.Mixer.Video.Width, c.Mixer.Video.Height = 720, 1280 })
	media := fakeMedia(t, participants(t, 1))[0]
	const roomName = "rv-portrait"
	b := launch(t, p, media, srv.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	_, click, _ := pageActions(t, b)
	do(t, b, evalTimeout, "hold the phone upright", chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait))
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Ada"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	waitFor(t, b, uiTimeout, `(() => { const v = document.getElementById("mix"); return v.videoWidth === 720 && v.videoHeight === 1280 && !v.paused; })()`)
	// The picture's width as drawn in the element's box (contained), a
	// share of the page's.
	const shown = `(() => { const v = document.getElementById("mix"), r = v.getBoundingClientRect(); return Math.min(r.width / v.videoWidth, r.height / v.videoHeight) * v.videoWidth / document.documentElement.clientWidth; })()`
	t.Logf("upright, the picture takes %.2f of the page's width", eval[float64](t, b, evalTimeout, shown))
	waitFor(t, b, uiTimeout, shown+` > 0.8`)
	do(t, b, evalTimeout, "turn the phone sideways", chromedp.EmulateViewport(844, 390, chromedp.EmulateLandscape))
	fits := `(() => { scrollTo(0, 0); const l = document.getElementById("leave").getBoundingClientRect(), m = document.getElementById("mix").getBoundingClientRect(); return l.bottom <= innerHeight && l.top >= 0 && m.height >= 200 && m.top >= 0; })()`
	waitFor(t, b, uiTimeout, fits)
}
