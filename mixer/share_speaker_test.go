package mixer

import (
	"image"
	"testing"
	"time"
)

// TestShareSoundIsNoSpeaker: a shared screen's sound (a tab's video
// playing) is heard, but never the active speaker, however much louder
// than the person talking; the role is a person's, whom the page
// highlights. Someone who takes the share's place in the detector after it
// ends can be the speaker again.
func TestShareSoundIsNoSpeaker(t *testing.T) {
	cfg := testConfig()
	var m *Mixer
	type voice struct{ heard, speaker bool }
	seen := map[string]voice{}
	look := func(id string) {
		heard, speaker := m.Voice(id)
		seen[id] = voice{heard, speaker}
	}
	cfg.Tap = func(_ *image.YCbCr, at time.Duration) error {
		switch at {
		case 1500 * time.Millisecond:
			look("screen")
			look("cam")
			m.Remove("screen")
		case 1800 * time.Millisecond:
			return m.Add(Participant{ID: "cam2", Audio: &toneSource{hz: 1230, amp: 0.5}})
		case 3900 * time.Millisecond:
			look("cam2")
		}
		return nil
	}
	var err error
	if m, err = New(cfg, &capture{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Participant{
		{ID: "cam", Audio: &toneSource{hz: 440, amp: 0.05}},
		{ID: "screen", Audio: &toneSource{hz: 700, amp: 0.5}, Content: true},
	} {
		if err := m.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	run(t, m, 4*time.Second)
	if v := seen["screen"]; !v.heard || v.speaker {
		t.Errorf("the share's sound: heard %v, speaker %v; want heard and no speaker", v.heard, v.speaker)
	}
	if v := seen["cam"]; !v.speaker {
		t.Errorf("the talker 20 dB under the share's sound: speaker %v, want the speaker", v.speaker)
	}
	if v := seen["cam2"]; !v.speaker {
		t.Errorf("a loud talker in the share's old place 2 s on: speaker %v, want the speaker", v.speaker)
	}
}
