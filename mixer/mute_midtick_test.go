package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/audio"
)

// hookSource is silence, running hook (once) when asked for the frame at.
type hookSource struct {
	at   time.Duration
	hook func()
}

func (s *hookSource) AudioAt(_ context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t == s.at && s.hook != nil {
		s.hook()
		s.hook = nil
	}
	clear(pcm)
	return true, nil
}

// TestMutedDuringATickIsNoLongerTheSpeaker: a mute that comes while an
// audio tick reads the participants' sound (after the muted one's, before
// the mixes are made) still takes the speaker's role from them at once.
func TestMutedDuringATickIsNoLongerTheSpeaker(t *testing.T) {
	for _, voices := range []int{0, 4} {
		cfg := testConfig()
		cfg.Voices = voices
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		m.Add(Participant{ID: "a", Audio: &toneSource{hz: 437, amp: 0.3}, MixMinus: true})
		m.Add(Participant{ID: "b", Audio: &hookSource{at: 20 * audio.FrameDuration, hook: func() { m.SetMuted("a", true) }}, MixMinus: true})
		ctx := context.Background()
		for n := range 40 {
			tt := time.Duration(n) * audio.FrameDuration
			m.sync(tt)
			if err := m.audioTick(ctx, tt); err != nil {
				t.Fatal(err)
			}
			if heard, speaker := m.Voice("a"); n > 20 && (heard || speaker) {
				t.Errorf("voices %d, tick %d, muted during tick 20: heard %v, speaker %v", voices, n, heard, speaker)
				break
			}
		}
	}
}
