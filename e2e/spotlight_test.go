package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"mcu/client"
	"mcu/internal/testserver"
)

// TestDemoPageSpotlightKeepsTheFocus: a keyboard user presses Bob's
// Spotlight button (Enter): once the list shows Bob in the spotlight, the
// focus is still on Bob's button, not dropped to the page (the list is
// built anew at each change, the button pressed replaced: found by a
// review), and Enter again takes him out of it.
func TestDemoPageSpotlightKeepsTheFocus(t *testing.T) {
	requireTools(t)
	const room = "e2e-spot-focus"
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	joinOnDesktop(t, b, room, "Ada")
	ctx, cancel := context.WithTimeout(t.Context(), joinTimeout)
	defer cancel()
	clip := filepath.Join("..", "testdata", "p02")
	other, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: room, Name: "Bob", Video: clip + ".ivf", Audio: clip + ".ogg"})
	if err != nil {
		t.Fatalf("the other participant: %v", err)
	}
	defer other.Close()
	const bob = `#people li:nth-child(2) button.spotlight`
	waitFor(t, b, uiTimeout, `document.querySelector("#people li:nth-child(2)")?.textContent.startsWith("Bob")`)
	do(t, b, evalTimeout, "focus Bob's Spotlight", chromedp.Focus(chromedp.CSS(bob)))
	do(t, b, evalTimeout, "press Enter", chromedp.KeyEvent("\r"))
	waitFor(t, b, uiTimeout, fmt.Sprintf(`document.querySelector(%s)?.getAttribute("aria-pressed") === "true"`, jsString(bob)))
	if !eval[bool](t, b, evalTimeout, fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, jsString(bob))) {
		t.Errorf("Bob in the spotlight: the focus is on %q, want Bob's Spotlight button", eval[string](t, b, evalTimeout, `document.activeElement ? document.activeElement.tagName + " " + document.activeElement.className : "nothing"`))
	}
	// Pressed again: out of the spotlight, the focus still there.
	do(t, b, evalTimeout, "press Enter again", chromedp.KeyEvent("\r"))
	waitFor(t, b, uiTimeout, fmt.Sprintf(`document.querySelector(%s)?.getAttribute("aria-pressed") === "false"`, jsString(bob)))
	if !eval[bool](t, b, evalTimeout, fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, jsString(bob))) {
		t.Errorf("Bob out of the spotlight: the focus is on %q, want Bob's Spotlight button", eval[string](t, b, evalTimeout, `document.activeElement ? document.activeElement.tagName + " " + document.activeElement.className : "nothing"`))
	}
}
