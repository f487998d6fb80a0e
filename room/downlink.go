package room

import (
	"math"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// How the composite's bitrate follows its receivers.
//
// The composite is encoded once for everyone, so it has one bitrate: the
// least any receiver can take, but never below a floor, under which one
// receiver on a hopeless link would spoil everyone's picture. What a
// receiver can take is estimated from the reports it sends about the
// composite, as the loss-based half of WebRTC's congestion control does:
// above 10 % loss the estimate falls by half the loss, under 2 % it grows
// 8 % a second up to the configured bitrate, and in between it holds.
// libvpx takes a new target between two frames, without a keyframe
// (codec.VP8Encoder.SetBitrate).
//
// The REMB a receiver may send about the composite is not taken: Chrome
// sends one for a stream that carries no transport-cc numbers (as the
// composite does), but its estimate follows what arrives (about 1.5
// times the incoming rate while nothing is congested), so with the
// composite's bitrate capped by it, a quiet picture drives both down, one
// after the other: in three Chromium receivers of a conference of flat
// colours, REMBs of 280-470 kbit/s took a 1.5 Mbit/s mix to its floor
// with no loss at all. A delay-based estimate needs transport-cc numbers
// on the composite's packets and a send-side estimator per receiver.
const (
	// downlinkLossHigh and downlinkLossLow are report fractions (of 256):
	// 26 is just over 10 %, 5 just under 2 %.
	downlinkLossHigh = 26
	downlinkLossLow  = 5
	downlinkGrowth   = 1.08 // per second
	// downlinkMaxGrowthGap: a gap between two reports longer than this
	// (a receiver that stopped reporting for a while) grows the estimate
	// as if it were this long.
	downlinkMaxGrowthGap = 2 * time.Second
	// The floor is a fifth of the configured bitrate, and never under
	// minDownlink.
	downlinkFloorDivisor = 5
	minDownlink          = 150_000
	// downlinkStep: the composite's bitrate changes in steps of 10 kbit/s.
	downlinkStep = 10_000
)

// downlinkEstimate is what one receiver can take of the composite (bits
// per second). Use from one goroutine.
type downlinkEstimate struct {
	max  float64 // the configured bitrate: the estimate starts there and never passes it
	bps  float64
	last time.Time // the last report
}

func newDownlinkEstimate(ceiling int) *downlinkEstimate {
	return &downlinkEstimate{max: float64(ceiling), bps: float64(ceiling)}
}

// report takes a reception report about the composite, received at now.
func (d *downlinkEstimate) report(now time.Time, fractionLost uint8) {
	switch {
	case fractionLost > downlinkLossHigh:
		d.bps *= 1 - float64(fractionLost)/512
	case fractionLost < downlinkLossLow && !d.last.IsZero():
		gap := min(now.Sub(d.last), downlinkMaxGrowthGap)
		d.bps = min(d.max, d.bps*math.Pow(downlinkGrowth, gap.Seconds()))
	}
	d.last = now
}

// value is the estimate.
func (d *downlinkEstimate) value() int { return int(d.bps) }

// downlinkFeedback returns the handler of a receiver's RTCP for the
// composite (whose SSRC towards them is ssrc) that keeps est and passes
// it on with update.
func downlinkFeedback(ssrc uint32, est *downlinkEstimate, now func() time.Time, update func(bps int)) func([]rtcp.Packet) {
	return func(pkts []rtcp.Packet) {
		changed := false
		for _, p := range pkts {
			var blocks []rtcp.ReceptionReport
			switch p := p.(type) {
			case *rtcp.ReceiverReport:
				blocks = p.Reports
			case *rtcp.SenderReport:
				blocks = p.Reports
			}
			for _, b := range blocks {
				if b.SSRC == ssrc {
					est.report(now(), b.FractionLost)
					changed = true
				}
			}
		}
		if changed {
			update(est.value())
		}
	}
}

// downlink sets the composite's bitrate from its receivers' estimates.
// Safe from any goroutine.
type downlink struct {
	max, floor int
	set        func(bps int) error // the mixer's SetBitrate

	mu      sync.Mutex
	shares  map[string]int // receiver id: estimate
	current int            // the bitrate last set
}

func newDownlink(ceiling int, set func(bps int) error) *downlink {
	return &downlink{max: ceiling, floor: min(ceiling, max(minDownlink, ceiling/downlinkFloorDivisor)),
		set: set, shares: map[string]int{}, current: ceiling}
}

// update takes receiver id's estimate.
func (d *downlink) update(id string, bps int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shares[id] = bps
	d.apply()
}

// forget drops a receiver that left.
func (d *downlink) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.shares, id)
	d.apply()
}

// apply sets the least estimate, within the floor and the configured
// bitrate, when it has moved by a step; d.mu must be held.
func (d *downlink) apply() {
	target := d.max
	for _, v := range d.shares {
		target = min(target, v)
	}
	if target < d.max {
		target -= target % downlinkStep
	}
	target = max(target, d.floor)
	if target == d.current {
		return
	}
	if err := d.set(target); err != nil {
		return // out of the mixer's range: cannot be, floor and max are in it
	}
	d.current = target
}
