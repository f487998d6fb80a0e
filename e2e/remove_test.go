package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mcu/internal/testserver"
)

// TestDemoPageMutesAndRemovesSomeone: Ada presses Mute beside Bob's name
// (both in Chromium, on the demo page): the room keeps Bob's sound out,
// and Bob's own list says the room muted him; pressed again, he is heard.
// Then Ada presses Remove beside his name: Bob's session ends, the list
// shows Ada alone, and Bob's page takes the call off, says the room's
// moderator removed him, and does not join again by itself (a removed person
// coming straight back would make the button useless). Nobody has Mute or
// Remove beside their own name. Ada locks the room: Bob's Join is refused,
// saying the room is locked; unlocked, he comes back.
func TestDemoPageMutesAndRemovesSomeone(t *testing.T) {
	requireTools(t)
	const room = "e2e-remove"
	ps := participants(t, 4, 5)
	media := fakeMedia(t, ps)
	srv := testserver.Start(t, nil)
	ada := launch(t, ps[0], media[0], srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	joinOnDesktop(t, ada, room, "Ada")
	bob := launch(t, ps[1], media[1], srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	joinOnDesktop(t, bob, room, "Bob")
	const bobsRemove = `#people li:nth-child(2) button.remove`
	waitFor(t, ada, uiTimeout, fmt.Sprintf(`document.querySelector("#people li:nth-child(2)")?.textContent.startsWith("Bob") && !!document.querySelector(%s)`, jsString(bobsRemove)))
	if n := eval[int](t, ada, evalTimeout, `document.querySelectorAll("#people li:first-child button.remove, #people li:first-child button.mute").length`); n != 0 {
		t.Errorf("Ada's own line has %d Mute or Remove buttons, want none", n)
	}
	if label := eval[string](t, ada, evalTimeout, fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-label")`, jsString(bobsRemove))); label != "Remove Bob" {
		t.Errorf("Bob's Remove button is labelled %q", label)
	}
	_, click, waitText := pageActions(t, ada)
	bobMuted := func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, p := range info.Participants {
			if p.Name == "Bob" {
				return p.Muted
			}
		}
		return false
	}
	const bobsMute = `#people li:nth-child(2) button.mute`
	click("Mute Bob", bobsMute)
	waitUntil(t, uiTimeout, "Bob muted", bobMuted)
	waitFor(t, ada, uiTimeout, fmt.Sprintf(`document.querySelector(%s)?.getAttribute("aria-pressed") === "true"`, jsString(bobsMute)))
	waitFor(t, bob, uiTimeout, `[...document.querySelectorAll("#people li")].some((li) => li.textContent.startsWith("Bob (you)") && li.textContent.includes("muted by the room"))`)
	click("Unmute Bob", bobsMute)
	waitUntil(t, uiTimeout, "Bob unmuted", func() bool { return !bobMuted() })
	waitFor(t, ada, uiTimeout, fmt.Sprintf(`document.querySelector(%s)?.getAttribute("aria-pressed") === "false"`, jsString(bobsMute)))

	click("Remove Bob", bobsRemove)
	waitUntil(t, uiTimeout, "Ada alone in the room", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		return len(info.Participants) == 1 && info.Participants[0].Name == "Ada"
	})
	waitFor(t, ada, uiTimeout, `document.querySelectorAll("#people li").length === 1`)
	// The focus, on the Remove button pressed, stays in the list: on
	// Ada's own Spotlight, in Bob's place's stead.
	if got := eval[string](t, ada, evalTimeout, `document.activeElement?.closest("#people") ? document.activeElement.className : String(document.activeElement?.tagName)`); got != "spotlight" {
		t.Errorf("after Bob's removal the focus is on %q, want Ada's Spotlight button", got)
	}
	// Bob's page learns it at its next read of the room or ICE restart,
	// within seconds, and why (410).
	waitFor(t, bob, 20*time.Second, `document.getElementById("error").textContent.includes("The room's moderator removed you from")`)
	// The call taken off the page (hung up after the message is shown).
	waitFor(t, bob, uiTimeout, `!document.body.classList.contains("in-call")`)
	// And stays out.
	time.Sleep(5 * time.Second)
	if info, _ := getRoom(t, srv.URL, room); len(info.Participants) != 1 {
		t.Errorf("5 s after Bob's page learnt of his removal the room lists %d participants, want Ada alone (Bob joined again?)", len(info.Participants))
	}

	// Ada locks the room: Bob's Join is refused, saying so; unlocked, he
	// comes back.
	click("Lock room", "#lock")
	waitUntil(t, uiTimeout, "the room locked", func() bool { info, _ := getRoom(t, srv.URL, room); return info.Locked })
	waitText("lock", "Unlock room")
	do(t, bob, evalTimeout, "click Join", chromedp.Click(chromedp.CSS("#join")))
	waitFor(t, bob, joinTimeout, `document.getElementById("error").textContent.includes("locked")`)
	if info, _ := getRoom(t, srv.URL, room); len(info.Participants) != 1 {
		t.Errorf("the locked room lists %d participants, want Ada alone", len(info.Participants))
	}
	click("Unlock room", "#lock")
	waitUntil(t, uiTimeout, "the room unlocked", func() bool { info, _ := getRoom(t, srv.URL, room); return !info.Locked })
	do(t, bob, evalTimeout, "click Join", chromedp.Click(chromedp.CSS("#join")))
	waitUntil(t, joinTimeout, "Bob back in the room", func() bool { info, _ := getRoom(t, srv.URL, room); return len(info.Participants) == 2 })
}
