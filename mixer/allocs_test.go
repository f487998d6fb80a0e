package mixer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

// TestAllocsDoNotGrow: a room's ticks (audio, and the picture painted
// in place) allocate no more after a long call than at its start.
func TestAllocsDoNotGrow(t *testing.T) {
	cfg := testConfig()
	cfg.Voices = 2
	cfg.Layout = layout.Speaker
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	for i := range 5 {
		m.Add(Participant{ID: fmt.Sprint("p", i), Name: fmt.Sprint("P", i), MixMinus: true,
			Video: &colourSource{y: byte(40 * i), cb: 90, cr: 200, w: 640 + 2*i, h: 360, fps: 25},
			Audio: &toneSource{hz: 300 + 100*float64(i), amp: 0.01 * float64(i+1)}})
	}
	p, err := codec.NewPicture(cfg.Video.Width, cfg.Video.Height)
	if err != nil {
		t.Fatal(err)
	}
	c := newCanvas(p, 0)
	ctx := context.Background()
	tick := 0
	step := func() {
		tt := time.Duration(tick) * audio.FrameDuration
		m.SetAudioLoss(fmt.Sprint("viewer", tick%50), 1+tick%7)
		if tick%50 == 49 {
			m.Remove(fmt.Sprint("viewer", tick%50))
		}
		st := m.sync(tt)
		if err := m.audioTick(ctx, tt); err != nil {
			t.Fatal(err)
		}
		m.updateCells(st.mode)
		if _, err := m.paintCanvas(ctx, c, tt); err != nil {
			t.Fatal(err)
		}
		tick++
	}
	for range 200 {
		step()
	}
	early := testing.AllocsPerRun(200, step)
	long := 20000 // 400 s of a call
	if testing.Short() || raceOn {
		long = 2000 // the race detector's pace: some 70 s for the long call
	}
	for range long {
		step()
	}
	late := testing.AllocsPerRun(200, step)
	t.Logf("allocs per tick: %.1f early, %.1f after %d ticks", early, late, tick)
	if late > early+0.5 {
		t.Errorf("allocs per tick grew from %.1f to %.1f", early, late)
	}
}
