package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
	"mcu/layout"
)

// stubScreen replaces getDisplayMedia with a 640x480 canvas's stream, light
// grey, painted again and again so that the stream has frames to send: a
// screen of known colour and shape.
const stubScreen = `(() => {
	navigator.mediaDevices.getDisplayMedia = async () => {
		const c = document.createElement("canvas");
		c.width = 640; c.height = 480;
		const g = c.getContext("2d");
		const paint = () => { g.fillStyle = "rgb(235,235,235)"; g.fillRect(0, 0, 640, 480); };
		paint();
		setInterval(paint, 50);
		return (window.screenStream = c.captureStream(15));
	};
	return true;
})()`

// TestDemoPageSharesAScreen: the demo page's "Share screen" publishes
// what getDisplayMedia gives as a session of its own, a shared screen
// (here a 4:3 canvas of one colour, so that its colour and its bars can
// be looked for in the mix; Chromium's own fake screen is shared in
// TestDemoPageSharesChromiumsScreen). The room goes to the speaker layout with the
// screen in the large tile, fitted whole (bars beside it), the list names
// it, and "Stop sharing", or the browser's own stop (the track ending),
// ends it: the room is back in the grid. Leaving the call ends a share
// too.
func TestDemoPageSharesAScreen(t *testing.T) {
	requireTools(t)
	const room = "e2e-share"
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	_, click, waitText := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	waitFor(t, b, uiTimeout, `!document.getElementById("share").hidden`)
	// The screen: light grey, 640x480 (stubScreen).
	eval[bool](t, b, evalTimeout, stubScreen)
	shared := func() (screens int, layout string) {
		t.Helper()
		info, _ := getRoom(t, srv.URL, room)
		for _, q := range info.Participants {
			if q.Content && q.Name == "Ada (screen)" {
				screens++
			}
		}
		return screens, info.Layout
	}
	waitShared := func(want int, wantLayout string) {
		t.Helper()
		waitUntil(t, uiTimeout, fmt.Sprintf("%d shared screens, layout %s", want, wantLayout), func() bool {
			n, l := shared()
			return n == want && l == wantLayout
		})
	}

	// mcu.js's share sends no sound: a session asked to send some says so.
	msg := eval[string](t, b, joinTimeout, fmt.Sprintf(`import("/mcu.js").then(async (m) => {
		const s = await m.share({ room: %s, name: "probe", stream: await navigator.mediaDevices.getDisplayMedia() });
		try {
			await s.setTrack("audio", null);
			return "no error";
		} catch (e) {
			return e.message;
		} finally {
			await s.leave();
		}
	})`, jsString(room)))
	if msg != "This session sends no audio." {
		t.Errorf("setTrack of audio on a share: %q", msg)
	}
	waitUntil(t, uiTimeout, "the probe's share over", func() bool {
		_, l := shared()
		info, _ := getRoom(t, srv.URL, room)
		return l == "grid" && len(info.Participants) == 1
	})

	click("Share screen", "#share")
	waitText("share", "Stop sharing")
	waitShared(1, "speaker")
	waitText("people", "Ada (you)")
	waitFor(t, b, uiTimeout, `document.getElementById("people").textContent.includes("Ada (screen) — shared screen")`)
	// The mix, as the page plays it: the screen in the large tile, whole
	// (a 4:3 picture in a wide tile: dark bars at its sides).
	large := layout.SpeakerCells(2, 1, layout.Size{W: 1280, H: 720})[1]
	fitted, _ := layout.Place(layout.Size{W: 640, H: 480}, large, layout.Fit)
	pixel := func(x, y int) string {
		return fmt.Sprintf(`(() => { const v = document.getElementById("mix"), c = document.createElement("canvas"); c.width = 1280; c.height = 720; const g = c.getContext("2d"); g.drawImage(v, 0, 0, 1280, 720); const d = g.getImageData(%d, %d, 1, 1).data; return [d[0], d[1], d[2]]; })()`, x, y)
	}
	screenIn := fmt.Sprintf(`(() => { const v = document.getElementById("mix"); if (v.videoWidth !== 1280) return false; const s = %s, bar = %s; return s.every(c => c > 200) && bar.every(c => c < 40); })()`,
		pixel(fitted.X+fitted.W/2, fitted.Y+fitted.H/2), pixel(large.X+(fitted.X-large.X)/2, large.Y+large.H/2))
	waitFor(t, b, joinTimeout, screenIn)

	click("Stop sharing", "#share")
	waitText("share", "Share screen")
	waitShared(0, "grid")

	// The list's Spotlight shows Ada large, and pressed again, not.
	spotlight := func() (string, string) {
		info, _ := getRoom(t, srv.URL, room)
		return info.Spotlight, info.Layout
	}
	click("Spotlight", "#people li:first-child button.spotlight")
	waitUntil(t, uiTimeout, "Ada in the spotlight", func() bool {
		who, l := spotlight()
		info, _ := getRoom(t, srv.URL, room)
		return len(info.Participants) == 1 && who == info.Participants[0].ID && l == "speaker"
	})
	waitFor(t, b, uiTimeout, `document.querySelector("#people li:first-child button.spotlight").getAttribute("aria-pressed") === "true" && document.querySelector('#layout input[value="speaker"]').checked`)
	click("Spotlight again", "#people li:first-child button.spotlight")
	waitUntil(t, uiTimeout, "the spotlight ended", func() bool {
		who, l := spotlight()
		return who == "" && l == "speaker"
	})
	waitFor(t, b, uiTimeout, `document.querySelector("#people li:first-child button.spotlight").getAttribute("aria-pressed") === "false"`)
	click("Grid", `#layout input[value="grid"]`)
	waitUntil(t, uiTimeout, "the grid again", func() bool { _, l := spotlight(); return l == "grid" })

	// Shared again, then stopped from the browser's own control: the
	// track ends.
	click("Share screen", "#share")
	waitText("share", "Stop sharing")
	waitShared(1, "speaker")
	eval[bool](t, b, evalTimeout, `window.screenStream.getVideoTracks()[0].dispatchEvent(new Event("ended")), true`)
	waitText("share", "Share screen")
	waitShared(0, "grid")

	// Shared, and the call left: the share ends with it.
	click("Share screen", "#share")
	waitText("share", "Stop sharing")
	waitShared(1, "speaker")
	click("Leave", "#leave")
	waitText("status", "You left "+room)
	waitUntil(t, uiTimeout, "the room closed", func() bool {
		_, found := getRoom(t, srv.URL, room)
		return !found
	})
}

// waitUntil polls ok, which reads the server, until it holds, or fails
// the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !ok(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, timeout)
		}
	}
}

// joinOnDesktop sizes b's window as a desktop's (a phone's, short and
// sideways, shows no share button), types name and joins room with the
// demo page's button.
func joinOnDesktop(t *testing.T, b *browser, room, name string) {
	t.Helper()
	do(t, b, evalTimeout, "size the window", chromedp.EmulateViewport(1280, 800))
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), name))
	do(t, b, evalTimeout, "click Join", chromedp.Click(chromedp.CSS("#join")))
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+room)))
}

// sharingPage starts a server and opens the demo page on it, joins room
// as Ada in a desktop's window and shares stubScreen with its button.
func sharingPage(t *testing.T, room string) (*testserver.Server, *browser) {
	t.Helper()
	srv := testserver.Start(t, nil)
	b := launch(t, participants(t, 4)[0], fakeMedia(t, participants(t, 4))[0], srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	_, click, waitText := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	eval[bool](t, b, evalTimeout, stubScreen)
	click("Share screen", "#share")
	waitText("share", "Stop sharing")
	return srv, b
}
