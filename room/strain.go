package room

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// strain records when the server last fell behind its media for want of
// CPU (a strain), seen where it hurts: a room's clock skipping pictures (late ticks), a tick
// finding the encoder still busy with both canvases (a picture not
// composed), a participant's decoder whose packets waited over
// maxDecodeLag (frames dropped up to a keyframe, or a layered sender's
// upper layers shed). The mixer loop and the
// encoder run above the decoders' priority, so the decoders are the first
// to show it.
//
// While the last strain is more recent than Config.OverloadHold, a join
// that would add to the work, a sender (participant or WHIP publisher) or
// a new room (an encoder), is refused with ErrOverloaded: everyone already
// in every room would pay for it, and the client may try another server.
// Viewers are still taken: the mix they receive is encoded anyway, and
// sending it costs a fraction of a decoder.
type strain struct {
	hold time.Duration // 0: joins never refused
	log  *slog.Logger
	base time.Time    // the origin of last, on the monotonic clock
	last atomic.Int64 // when the last strain was, ns after base; 0: never
	// behind counts the decoders' strains (the mixer's have their own
	// metrics: late ticks, dropped frames); refused the joins turned away.
	behind, refused atomic.Uint64
}

// The causes of a strain, as logged.
const (
	strainLateTick    = "the mixer skipped pictures (late ticks)"
	strainEncoderBusy = "the encoder was still busy at a tick (a picture not composed)"
	strainDecoder     = "a participant's video decoding fell behind"
)

func newStrain(hold time.Duration, log *slog.Logger) *strain {
	return &strain{hold: hold, log: log, base: time.Now()}
}

// mark records a strain at now. The first after a calm spell (the hold or
// longer) is logged: joins are refused from then on.
func (s *strain) mark(now time.Time, cause string) {
	if cause == strainDecoder {
		s.behind.Add(1)
	}
	ns := max(now.Sub(s.base).Nanoseconds(), 1)
	prev := s.last.Load()
	for prev < ns && !s.last.CompareAndSwap(prev, ns) { // the latest stays
		prev = s.last.Load()
	}
	if s.hold > 0 && prev < ns && (prev == 0 || time.Duration(ns-prev) >= s.hold) {
		s.log.Warn("the server is short of CPU: joins of senders and new rooms refused until it has been keeping up for the hold",
			"cause", cause, "hold", s.hold)
	}
}

// strained reports whether joins that add work are refused at now, and
// for how much longer at least (the hold after the last strain).
func (s *strain) strained(now time.Time) (bool, time.Duration) {
	last := s.last.Load()
	if s.hold <= 0 || last == 0 {
		return false, 0
	}
	left := s.hold - (now.Sub(s.base) - time.Duration(last))
	return left > 0, max(left, 0)
}

// strainObserver passes the mixer's measurements on to the server's
// observer and marks its late ticks and busy encoder as strains.
type strainObserver struct {
	Observer
	s *strain
}

func (o strainObserver) LateTicks(n int) {
	o.s.mark(time.Now(), strainLateTick)
	o.Observer.LateTicks(n)
}

// Dropped marks a strain, but for a tick dropped while the encoder worked
// on a keyframe: at 120 fps (8 ms a tick) one takes longer than the two
// canvases can hold, and every join refused others for the hold.
func (o strainObserver) Dropped(keyframe bool) {
	if !keyframe {
		o.s.mark(time.Now(), strainEncoderBusy)
	}
	o.Observer.Dropped(keyframe)
}
