package room

import "time"

// pace keeps the media a participant's stream has had decoded to the wall
// clock: at most a lead ahead of the time since its first packet. Time the
// sender was behind (silence, a stall) is kept up to the lead too, so that
// the burst after a stall is decoded, but no more: an hour of silence does
// not buy an hour of decoding at once. A sender of media faster than time
// passes gets no more decoding than one in real time, after the lead. The
// zero value is ready.
type pace struct {
	begun time.Time
	done  time.Duration // media decoded since begun
}

// ahead reports whether the media decoded is more than lead ahead of the
// wall clock at now: the next is then dropped, not decoded.
func (p *pace) ahead(now time.Time, lead time.Duration) bool {
	if p.begun.IsZero() {
		p.begun = now
	}
	if now.Before(p.begun) {
		now = p.begun // a time before the first counts as the first
	}
	if behind := now.Sub(p.begun) - p.done; behind > lead {
		p.begun = p.begun.Add(behind - lead)
	}
	// A sender's clock may run a little fast (paceSlack): its surplus is
	// the jitter queue's to drop, not a reason to stop decoding after a
	// long call.
	elapsed := now.Sub(p.begun)
	return p.done-elapsed > lead+elapsed/paceSlack
}

// paceSlack is how much faster than the server's a sender's clock may run
// (1/64: 1.6 %, beyond any sound card's or camera's) and never be taken
// for a flood: 0.5 % fast, a sender was 10 s ahead after 33 minutes.
const paceSlack = 64

// add counts d more media decoded.
func (p *pace) add(d time.Duration) { p.done += d }
