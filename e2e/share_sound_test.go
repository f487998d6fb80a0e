package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// stubScreenWithSound is stubScreen with a tab's sound: a sine of hz at
// −24 dBFS (the test clips' level) beside the canvas, given when
// getDisplayMedia is asked for audio, as Chromium gives a tab's.
const stubScreenWithSound = `(() => {
	navigator.mediaDevices.getDisplayMedia = async (want) => {
		window.screenAsked = want;
		const c = document.createElement("canvas");
		c.width = 640; c.height = 480;
		const g = c.getContext("2d");
		const paint = () => { g.fillStyle = "rgb(235,235,235)"; g.fillRect(0, 0, 640, 480); };
		paint();
		setInterval(paint, 50);
		const s = c.captureStream(15);
		if (want?.audio) {
			const ac = new AudioContext({ sampleRate: 48000 }), o = ac.createOscillator(), gain = ac.createGain(), out = ac.createMediaStreamDestination();
			o.frequency.value = %g;
			gain.gain.value = 0.063;
			o.connect(gain).connect(out);
			o.start();
			s.addTrack(out.stream.getAudioTracks()[0]);
		}
		return (window.screenStream = s);
	};
	return true;
})()`

// TestDemoPageSharesATabsSound: the demo page asks the browser for the
// screen's sound too (a tab's, in Chromium) and shares it with the
// screen, naming the person's own session as the share's owner: the
// room's JSON says whose share it is, another participant hears it, and
// the person sharing does not (TestShareSoundNotHeardByItsOwner checks
// their mix). Leaving the call ends the share.
func TestDemoPageSharesATabsSound(t *testing.T) {
	requireTools(t)
	const room = "e2e-tab"
	ps := mediatest.Participants(t)
	tab := ps[4] // p05's tone: no participant's here
	srv := testserver.Start(t, nil)
	b := launch(t, participants(t, 4)[0], fakeMedia(t, participants(t, 4))[0], srv.URL+"/#"+room, `document.getElementById("room").value !== ""`)
	_, click, waitText := pageActions(t, b)
	joinOnDesktop(t, b, room, "Ada")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	bob, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: room, Name: "Bob",
		Audio: mediatest.TestdataPath(t, "p06.ogg"), KeepAudio: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	eval[bool](t, b, evalTimeout, fmt.Sprintf(stubScreenWithSound, tab.ToneHz))
	click("Share screen", "#share")
	waitText("share", "Stop sharing")
	if !eval[bool](t, b, evalTimeout, `!!window.screenAsked?.audio`) {
		t.Error("the page did not ask getDisplayMedia for the screen's sound")
	}
	var ada, share participantInfo
	waitUntil(t, uiTimeout, "the share listed with its sound", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		for _, p := range info.Participants {
			switch {
			case p.Name == "Ada":
				ada = p
			case p.Content:
				share = p
			}
		}
		return share.AudioCodec != ""
	})
	if share.Owner != ada.ID || ada.ID == "" {
		t.Errorf("the share's owner is %q, Ada's id %q", share.Owner, ada.ID)
	}
	if !strings.EqualFold(share.AudioCodec, "opus") {
		t.Errorf("the share's sound is in %q, want Opus", share.AudioCodec)
	}
	// Bob hears the tab's tone at its level (Opus and a browser's
	// resampling cost it a few dB at most).
	waitUntil(t, 10*time.Second, "Bob hearing the tab", func() bool {
		pcm := bob.Sound()
		if len(pcm) < 48000*2 {
			return false
		}
		for _, l := range mediatest.ToneLevels(pcm, 2, 48000, tab.ToneHz, 0, time.Second) {
			if l < toneHeardDBFS {
				return false
			}
		}
		return true
	})

	click("Leave", "#leave")
	waitUntil(t, uiTimeout, "the share over with the call", func() bool {
		info, _ := getRoom(t, srv.URL, room)
		return len(info.Participants) == 1 && info.Participants[0].Name == "Bob"
	})
}
