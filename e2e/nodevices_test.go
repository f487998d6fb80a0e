package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
)

// TestDemoNoMediaDevicesButtons: a page that may not use the camera or
// microphone at all (plain http from another machine: the browser gives
// it no navigator.mediaDevices) joins to watch and listen, its camera and
// microphone buttons disabled: offering "Turn camera on", a press threw a
// TypeError from navigator.mediaDevices.getUserMedia.
func TestDemoNoMediaDevicesButtons(t *testing.T) {
	requireTools(t)
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	const roomName = "no-devices"
	b := launch(t, p, media, srv.URL+"/#"+roomName, `document.getElementById("room").value !== ""`)
	// As on an insecure origin: no navigator.mediaDevices.
	eval[bool](t, b, evalTimeout, `(Object.defineProperty(Navigator.prototype, "mediaDevices", { get: () => undefined, configurable: true }), navigator.mediaDevices === undefined)`)
	_, click, _ := pageActions(t, b)
	do(t, b, evalTimeout, "type a name", chromedp.SetValue(chromedp.ID("name"), "Watcher"))
	click("Join", "#join")
	waitFor(t, b, joinTimeout, fmt.Sprintf(`document.getElementById("status").textContent.startsWith(%s)`, jsString("In room "+roomName)))
	state := eval[string](t, b, evalTimeout, `["camera", "mic"].map((id) => id + " " + JSON.stringify(document.getElementById(id).textContent) + " disabled " + document.getElementById(id).disabled).join(", ")`)
	t.Logf("joined without mediaDevices: %s", state)
	if !strings.Contains(state, "camera ") || strings.Count(state, "disabled true") != 2 {
		t.Errorf("joined on a page that can ask for no device: %s, want both buttons disabled", state)
	}
}
