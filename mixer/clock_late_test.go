package mixer

import (
	"context"
	"testing"
	"time"
)

// lateClock never waits and says every tick is late by late: a machine
// too slow for real time.
type lateClock struct{ late time.Duration }

func (c lateClock) Wait(ctx context.Context, _ time.Duration) (time.Duration, error) {
	return c.late, ctx.Err()
}

// TestOfflineNeverSkipsWhenLate: an offline mix on a clock it cannot
// keep up with (real time on a slow machine) still makes every picture:
// only a live room skips the pictures already due, so the file is the same
// whatever the clock.
func TestOfflineNeverSkipsWhenLate(t *testing.T) {
	mix := func(clock Clock) *capture {
		out := &capture{}
		m, _ := New(testConfig(), out)
		m.Add(Participant{ID: "a", Video: &colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180}, Audio: &toneSource{hz: 440, amp: 0.1}})
		if err := m.Run(context.Background(), clock, 400*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		return out
	}
	fast, slow := mix(AsFastAsPossible()), mix(lateClock{late: 200 * time.Millisecond})
	if len(slow.video) != len(fast.video) || len(slow.audio) != len(fast.audio) {
		t.Fatalf("late clock: %d pictures, %d audio frames; on time: %d, %d", len(slow.video), len(slow.audio), len(fast.video), len(fast.audio))
	}
	for i := range fast.video {
		if string(fast.video[i].Data) != string(slow.video[i].Data) {
			t.Fatalf("picture %d differs", i)
		}
	}
}
