package mixer

import (
	"image"
	"sync"
	"testing"
	"time"

	"mcu/codec"
)

// screenOutput records, with each picture's time, whether the encoder
// took it as screen content.
type screenOutput struct {
	capture
	m      *Mixer
	mu     sync.Mutex
	screen map[time.Duration]bool
}

func (o *screenOutput) Video(f codec.EncodedFrame) error {
	o.mu.Lock()
	o.screen[f.PTS] = o.m.Stats().ScreenContent
	o.mu.Unlock()
	return o.capture.Video(f)
}

// TestScreenContentWhileShared: the encoder takes the mix as screen
// content (sharper text at the same bitrate) from the first picture a
// share is in to the last, and as camera pictures before and after it.
func TestScreenContentWhileShared(t *testing.T) {
	const joins, leaves = 300 * time.Millisecond, 700 * time.Millisecond
	cfg := testConfig()
	out := &screenOutput{screen: map[time.Duration]bool{}}
	var m *Mixer
	cfg.Tap = func(_ *image.YCbCr, at time.Duration) error {
		switch at {
		case joins:
			return m.Add(Participant{ID: "screen", Video: &colourSource{y: 200, cb: 128, cr: 128, w: 640, h: 480}, Content: true})
		case leaves:
			m.Remove("screen")
		}
		return nil
	}
	var err error
	if m, err = New(cfg, out); err != nil {
		t.Fatal(err)
	}
	out.m = m
	if err := m.Add(Participant{ID: "cam", Video: &colourSource{y: 90, cb: 100, cr: 160, w: 320, h: 240}}); err != nil {
		t.Fatal(err)
	}
	run(t, m, time.Second)
	if len(out.screen) < 25 {
		t.Fatalf("%d pictures, want 30", len(out.screen))
	}
	for at, screen := range out.screen {
		// Added or removed during a tick, the share is in the mix from
		// the next one on.
		shown := at > joins && at <= leaves
		if screen != shown {
			t.Errorf("picture at %v: screen content %v, want %v (a share shown from %v to %v)", at, screen, shown, joins, leaves)
		}
	}
	if m.Stats().ScreenContent {
		t.Error("screen content still on after the share left")
	}
}
