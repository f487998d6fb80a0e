package mixer

import (
	"context"
	"time"
)

// Clock paces the mixer. Times are media time on the mixer's clock, starting
// at 0; the mixer asks for them in increasing order.
type Clock interface {
	// Wait blocks until media time t is due and returns how late it is (0 or
	// more). A clock that runs as fast as possible returns at once.
	Wait(ctx context.Context, t time.Duration) (late time.Duration, err error)
}

// RealTime is a clock that follows the monotonic wall clock from its first
// Wait, as a live room does.
func RealTime() Clock { return &realClock{now: time.Now} }

type realClock struct {
	now   func() time.Time
	start time.Time
}

func (c *realClock) Wait(ctx context.Context, t time.Duration) (time.Duration, error) {
	if c.start.IsZero() {
		c.start = c.now().Add(-t)
	}
	d := c.start.Add(t).Sub(c.now())
	if d <= 0 {
		return -d, ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-timer.C:
		return max(0, c.now().Sub(c.start.Add(t))), nil
	}
}

// epochClock is a clock that follows the wall clock: epoch is the wall
// time of media time 0, once Wait has been called.
type epochClock interface{ epoch() time.Time }

func (c *realClock) epoch() time.Time { return c.start }

// AsFastAsPossible is a clock that never waits: offline mixing runs at the
// speed of the machine, with the same results as in real time because its
// sources block until they have the media a tick needs.
func AsFastAsPossible() Clock { return fastClock{} }

type fastClock struct{}

func (fastClock) Wait(ctx context.Context, _ time.Duration) (time.Duration, error) {
	return 0, ctx.Err()
}
