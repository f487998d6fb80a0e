package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mcu/internal/roomtoken"
	"mcu/internal/testserver"
)

// TestDemoPageSharesWithAFreshToken: someone joined from an invitation
// whose short room token has expired since (the README's advice: give
// short ones) shares their screen: the server refuses the expired token,
// the page asks for a token, and the fresh one typed is the one the next
// share sends.
func TestDemoPageSharesWithAFreshToken(t *testing.T) {
	requireTools(t)
	const (
		secret = "e2e-token-0123456789abcdef-0123456789"
		room   = "e2e-share-token"
	)
	expires := time.Now().Add(6 * time.Second).Unix()
	tok, err := roomtoken.Sign([]byte(secret), roomtoken.Claims{Room: room, Expires: expires})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := roomtoken.Sign([]byte(secret), roomtoken.Claims{Room: room, Expires: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	p := participants(t, 4)[0]
	srv := testserver.StartWithToken(t, nil, secret)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room+"&token="+tok, `document.getElementById("room").value !== ""`)
	text, click, waitText := pageActions(t, b)
	joinOnDesktop(t, b, room, "Guest")
	eval[bool](t, b, evalTimeout, stubScreen)
	time.Sleep(time.Until(time.Unix(expires+1, 0)))
	click("Share screen", "#share")
	waitFor(t, b, uiTimeout, `!document.getElementById("error").hidden && !document.getElementById("token-field").hidden`)
	t.Logf("the expired token's share: %q", text("error"))
	do(t, b, evalTimeout, "type a fresh token", chromedp.SetValue(chromedp.ID("token"), fresh))
	click("Share screen", "#share")
	waitFor(t, b, uiTimeout, `document.getElementById("share").textContent === "Stop sharing" || (!document.getElementById("error").hidden && document.getElementById("error").textContent !== "")`)
	if got := text("share"); got != "Stop sharing" {
		t.Fatalf("shared with a fresh token typed: button %q, error %q; want the share", got, text("error"))
	}
	waitUntil(t, uiTimeout, "the share in the room", func() bool {
		info, _ := getRoomWithToken(t, srv.URL, secret, room)
		for _, q := range info.Participants {
			if q.Content {
				return true
			}
		}
		return false
	})
	click("Stop sharing", "#share")
	waitText("share", "Share screen")
}

// TestDemoPageSaysTheSystemRefusedTheScreen: a share the system refuses
// (macOS without the browser's screen recording permission: Chromium's
// NotAllowedError "Permission denied by system") is told, where a picker
// the person closed ("Permission denied") is not.
func TestDemoPageSaysTheSystemRefusedTheScreen(t *testing.T) {
	requireTools(t)
	const room = "e2e-share-refused"
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	text, click, _ := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	for _, c := range []struct {
		message string
		told    bool
	}{{"Permission denied", false}, {"Permission denied by system", true}} {
		eval[bool](t, b, evalTimeout, fmt.Sprintf(`(() => { navigator.mediaDevices.getDisplayMedia = async () => { throw new DOMException(%s, "NotAllowedError"); }; window.refusals = (window.refusals ?? 0) + 1; return true; })()`, jsString(c.message)))
		click("Share screen", "#share")
		waitFor(t, b, uiTimeout, `!document.getElementById("share").disabled`)
		time.Sleep(200 * time.Millisecond)
		shown := !eval[bool](t, b, evalTimeout, `document.getElementById("error").hidden`)
		if shown != c.told || c.told && !strings.Contains(strings.ToLower(text("error")), "screen") {
			t.Errorf("getDisplayMedia refused %q: error shown %v (%q), want %v, and about the screen", c.message, shown, text("error"), c.told)
		}
	}
}

// TestDemoPageShareEndedWhileJoining: a screen whose sharing the browser
// ended (its own "Stop sharing", the window shared closed) while the
// share's join was on its way is no share: the button offers to share
// again and the room has no share left, rather than a share that sends
// nothing and that only "Stop sharing" on the page ends.
func TestDemoPageShareEndedWhileJoining(t *testing.T) {
	requireTools(t)
	const room = "e2e-share-ended"
	p := participants(t, 4)[0]
	srv := testserver.Start(t, nil)
	media := fakeMedia(t, participants(t, 4))[0]
	b := launch(t, p, media, srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	text, click, _ := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	eval[bool](t, b, evalTimeout, stubScreen)
	// The browser ends the screen's track as the share's answer comes.
	eval[bool](t, b, evalTimeout, `(() => {
		const real = window.fetch;
		window.fetch = async (url, init) => {
			const res = await real(url, init);
			if (String(url).includes("/whip/") && init?.method === "POST") {
				const track = window.screenStream.getVideoTracks()[0];
				track.stop();
				track.dispatchEvent(new Event("ended"));
			}
			return res;
		};
		return true;
	})()`)
	click("Share screen", "#share")
	waitFor(t, b, uiTimeout, `!document.getElementById("share").disabled`)
	waitUntil(t, uiTimeout, "no share left in the room", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, q := range info.Participants {
			if q.Content {
				return false
			}
		}
		return true
	})
	if got := text("share"); got != "Share screen" {
		t.Errorf("the share's track ended while it joined: the button says %q, want %q", got, "Share screen")
	}
}
