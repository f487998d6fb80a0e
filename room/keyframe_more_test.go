package room

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// TestKeyframeHeldRequestsAnsweredWithoutReports: a receiver
// whose RTCP comes only with its requests and once a second (no report
// in between) asks at 0 (its keyframe out at 0.05 s), then at 0.8, 1.0
// and 1.2 s; someone else's keyframe goes out at 1.05 s, after the first
// of the held requests: it answers them, and the receiver's reports at
// 2.2 and 3.2 s make no second keyframe for everyone.
func TestKeyframeHeldRequestsAnsweredWithoutReports(t *testing.T) {
	s := &Session{ID: "viewer", room: &Room{obs: &countingObserver{}}}
	t0 := time.Unix(1000, 0)
	clock := t0
	var sent time.Time
	var asked []time.Duration
	handle := s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(t0))
	}, func() time.Time { return sent })
	at := func(ms int) { clock = t0.Add(time.Duration(ms) * time.Millisecond) }
	pli := []rtcp.Packet{&rtcp.ReceiverReport{}, &rtcp.PictureLossIndication{MediaSSRC: 1}}
	rr := []rtcp.Packet{&rtcp.ReceiverReport{}}
	at(0)
	handle(pli)
	sent = t0.Add(50 * time.Millisecond)
	for _, ms := range []int{800, 1000, 1200} {
		if ms == 1200 {
			sent = t0.Add(1050 * time.Millisecond)
		}
		at(ms)
		handle(pli)
	}
	for _, ms := range []int{2200, 3200} {
		at(ms)
		handle(rr)
	}
	if want := []time.Duration{0}; !slices.Equal(asked, want) {
		t.Errorf("keyframes asked at %v, want %v (the held requests were answered by the keyframe at 1.05 s)", asked, want)
	}
}
