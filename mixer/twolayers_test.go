package mixer

import (
	"context"
	"testing"
	"time"

	"mcu/codec"
)

// TestSetTwoLayersWhileRunning: turned on while the mixer runs (as the
// room does when a receiver is put on half rate), the encoder's frames
// alternate between reference frames and droppable ones from the next
// picture on, keyframes never droppable; turned off, they are all
// ordinary again.
func TestSetTwoLayersWhileRunning(t *testing.T) {
	cfg := testConfig()
	cfg.Video.Width, cfg.Video.Height, cfg.Video.Bitrate = 320, 180, 300_000
	out := &capture{}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "a", Video: &layersAt{m: m, on: time.Second, off: 2 * time.Second}})
	run(t, m, 3*time.Second)
	var before, during, after, droppable int
	last := false
	for _, f := range out.video {
		switch {
		case f.Key && f.Droppable:
			t.Errorf("keyframe at %v is droppable", f.PTS)
		case f.Droppable && last:
			t.Errorf("two droppable frames in a row, the second at %v", f.PTS)
		}
		last = f.Droppable
		switch {
		case f.PTS < time.Second:
			before += btoi(f.Droppable)
		case f.PTS >= 1100*time.Millisecond && f.PTS < 1900*time.Millisecond:
			during++
			droppable += btoi(f.Droppable)
		case f.PTS >= 2100*time.Millisecond:
			after += btoi(f.Droppable)
		}
	}
	if before != 0 || after != 0 {
		t.Errorf("%d droppable frames before two layers were on, %d after they were off, want none", before, after)
	}
	if during < 20 || droppable < during/2-1 || droppable > during/2+1 {
		t.Errorf("%d droppable of %d frames while on, want every second one", droppable, during)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// layersAt is a source of moving pictures that turns the mixer's two
// layers on when asked for the picture at on, and off at off.
type layersAt struct {
	m       *Mixer
	on, off time.Duration
	frame   *codec.Frame
	n       uint64
}

func (s *layersAt) VideoAt(_ context.Context, t time.Duration) (*codec.Frame, error) {
	s.m.SetTwoLayers(t >= s.on && t < s.off)
	if s.frame == nil {
		s.frame = codec.NewFrame(320, 180)
	}
	s.n++
	for i := range s.frame.Y {
		s.frame.Y[i] = byte(i + int(s.n)*3)
	}
	s.frame.Seq, s.frame.PTS = s.n, t
	return s.frame, nil
}
