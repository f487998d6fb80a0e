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
// 8 % a second up to the configured bitrate, and in between it holds. A
// receiver that estimates its bandwidth itself (REMB, which Chrome sends
// for a stream that carries no transport-cc numbers, as the composite
// does) caps its estimate with that, less the audio it gets. libvpx takes
// a new target between two frames, without a keyframe
// (codec.VP8Encoder.SetBitrate).
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
	// downlinkREMBFresh is how long a receiver's REMB caps its estimate;
	// Chrome sends one at least once a second.
	downlinkREMBFresh = 5 * time.Second
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
	max    float64 // the configured bitrate: the estimate starts there and never passes it
	audio  int     // the bitrate of the audio the receiver also gets
	bps    float64 // from loss
	last   time.Time
	remb   int // the receiver's own estimate for the composite
	rembAt time.Time
}

func newDownlinkEstimate(ceiling, audio int) *downlinkEstimate {
	return &downlinkEstimate{max: float64(ceiling), audio: audio, bps: float64(ceiling)}
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

// receiverEstimate takes a REMB received at now.
func (d *downlinkEstimate) receiverEstimate(now time.Time, bps float32) {
	d.remb = max(int(bps)-d.audio, 0)
	d.rembAt = now
}

// at is the estimate at now.
func (d *downlinkEstimate) at(now time.Time) int {
	v := int(d.bps)
	if !d.rembAt.IsZero() && now.Sub(d.rembAt) < downlinkREMBFresh {
		v = min(v, d.remb)
	}
	return v
}

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
			case *rtcp.ReceiverEstimatedMaximumBitrate:
				est.receiverEstimate(now(), p.Bitrate)
				changed = true
			}
			for _, b := range blocks {
				if b.SSRC == ssrc {
					est.report(now(), b.FractionLost)
					changed = true
				}
			}
		}
		if changed {
			update(est.at(now()))
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
