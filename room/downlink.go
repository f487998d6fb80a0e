package room

import (
	"math"
	"slices"
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
// above 10 % loss the estimate falls by half the loss, under about 2 % it
// grows 8 % a second up to the configured bitrate, and in between it
// holds. libvpx takes a new target between two frames, without a keyframe
// (codec.VP8Encoder.SetBitrate).
//
// The REMB a receiver may send about the composite is not taken: Chrome
// sends one for a stream that carries no transport-cc numbers (as the
// composite does), but its estimate follows what arrives (at most about
// 1.5 times the incoming rate while nothing is congested), so capped by
// it the composite would be held near what a quiet picture needs, with no
// room for the next keyframe or a busy moment: in three Chromium receivers
// of a conference of flat colours, REMBs of 280-470 kbit/s took a
// 1.5 Mbit/s mix to its floor with no loss at all. A delay-based estimate needs transport-cc numbers
// on the composite's packets and a send-side estimator per receiver.
const (
	// downlinkLossHigh and downlinkLossLow are report fractions (of 256):
	// from 26 (10.2 %) up counts as over 10 %, up to 5 (2.0 %) as under 2 %.
	downlinkLossHigh = 25
	downlinkLossLow  = 6
	downlinkGrowth   = 1.08 // per second
	// downlinkTried: growth starts from at most this times what is sent.
	downlinkTried = 1.5
	// downlinkCutGap is the least time between two cuts (WebRTC's own
	// loss-based estimate waits 300 ms plus a round trip).
	downlinkCutGap = 300 * time.Millisecond
	// downlinkMaxGrowthGap: a gap between two reports longer than this
	// (a receiver that stopped reporting for a while) grows the estimate
	// as if it were this long.
	downlinkMaxGrowthGap = 2 * time.Second
	// downlinkStale: an estimate no report has renewed for this long no
	// longer counts (a client that stopped reporting but stays connected).
	// A timer applies the others again when the oldest goes stale.
	downlinkStale = 10 * time.Second
	// The floor, unless configured (Config.MinBitrate), is a fifth of the
	// configured bitrate, and never under minDownlink.
	downlinkFloorDivisor = 5
	minDownlink          = 150_000
	// downlinkStep: the composite's bitrate changes in steps of 10 kbit/s.
	downlinkStep = 10_000
)

// Half the frame rate for a receiver that can take much less than the
// others.
//
// Held to the least estimate, the one composite would follow a receiver
// on a poor link down to the floor, and everyone's picture (and the
// recording) with it. Instead, a receiver of VP8 whose estimate is under
// half of the others' (the lowest of the upper half of all estimates,
// but no more than the composite sends when nobody holds it down: see
// apply), when that would let the composite rise (nobody else holds it
// as low), is sent every second frame: the
// encoder then makes every second frame one no later frame refers to
// (codec.VP8Encoder.SetTwoLayers), which that receiver is not sent, and
// the composite is held to twice its estimate, not to its estimate. Its
// pictures come at half the rate, each with about twice the bits; the
// others' bitrate doubles. A receiver of H.264 cannot be left frames: it
// holds the composite to its estimate as before.
//
// Back to every frame once its estimate (of the half it is sent) has
// stayed at or above downlinkWholeAt of the others' for the hold:
// 5 s at first, doubled, up to 80 s, each time it had to be halved again
// within downlinkWholeTried of being given every frame (a link that took
// the half but not the whole: each try costs it a burst of loss); and at
// once when it is alone, or its reports stop.
const (
	downlinkHalfUnder  = 0.5
	downlinkWholeAt    = 0.6
	downlinkHoldFirst  = 5 * time.Second
	downlinkHoldMax    = 80 * time.Second
	downlinkWholeTried = 20 * time.Second
	// downlinkNeedTime: what the composite sends at the configured
	// bitrate is averaged over about this long (a keyframe doubles a
	// second's).
	downlinkNeedTime = 5 * time.Second
)

// downlinkEstimate is what one receiver can take of the composite (bits
// per second). Use from one goroutine.
type downlinkEstimate struct {
	floor, max float64 // the estimate stays between them, and starts at max
	bps        float64
	last       time.Time // the last report
	lastCut    time.Time // the last report that cut the estimate
	lossy      bool      // the last report was over downlinkLossHigh
	// sent, if set, is what the composite's encoder really sends (bits per
	// second, 0 while unknown): far under its target for a still picture,
	// and a cut from the target would take several reports to reach it.
	sent func() int
}

func newDownlinkEstimate(floor, ceiling int) *downlinkEstimate {
	return &downlinkEstimate{floor: float64(floor), max: float64(ceiling), bps: float64(ceiling)}
}

// report takes a reception report about the composite, received at now
// while the composite's target was current. A cut starts from what is sent
// when that is less than the estimate (a receiver that joins a mix already
// lowered for someone else; a still picture sent far under its target),
// and stops at the floor, so that a receiver whose link recovers is soon
// back. Growth is bounded by the target, not by what a still picture
// sends: that would leave no room for the next busy moment.
func (d *downlinkEstimate) report(now time.Time, fractionLost uint8, current int) {
	// An estimate stays within a half more than what is sent: a receiver
	// whose link was never tried above the mix's bitrate (held down by
	// another receiver; or just joined, its estimate at the ceiling) has
	// not shown it can take more, and the mix would otherwise jump to its
	// estimate when the other leaves. It grows from there.
	tried := max(d.floor, min(d.bps, downlinkTried*float64(current)))
	switch {
	case fractionLost > downlinkLossHigh && !d.lastCut.IsZero() && now.Sub(d.lastCut) < downlinkCutGap:
		// One congestion event reported twice (a figure per report
		// window) cuts once.
		d.bps = tried
	case fractionLost > downlinkLossHigh:
		from := min(d.bps, float64(current))
		// From what is sent only once the next report confirms the loss:
		// one report of a burst (the keyframe when someone joins) must
		// not take a still picture's room to its floor.
		if d.sent != nil && d.lossy {
			if sent := d.sent(); sent > 0 {
				from = min(from, float64(sent))
			}
		}
		d.bps = max(d.floor, from*(1-float64(fractionLost)/512))
		d.lastCut = now
	case fractionLost < downlinkLossLow && !d.last.IsZero():
		gap := min(now.Sub(d.last), downlinkMaxGrowthGap)
		d.bps = min(d.max, tried*math.Pow(downlinkGrowth, gap.Seconds()))
	default:
		d.bps = tried
	}
	d.last, d.lossy = now, fractionLost > downlinkLossHigh
}

// value is the estimate.
func (d *downlinkEstimate) value() int { return int(d.bps) }

// downlinkFeedback returns the handler of a receiver's RTCP for the
// composite (whose SSRC towards them is ssrc, and whose bitrate is
// current) that keeps est and passes it on with update.
func downlinkFeedback(ssrc uint32, est *downlinkEstimate, now func() time.Time, current func() int, update func(bps int)) func([]rtcp.Packet) {
	figures := lossFigures(ssrc)
	return func(pkts []rtcp.Packet) {
		changed := false
		figures(pkts, func(fractionLost uint8) {
			est.report(now(), fractionLost, current())
			changed = true
		})
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
	now        func() time.Time
	stale      time.Duration // downlinkStale

	// layers is the mixer's SetTwoLayers, told whether any receiver is
	// on half rate; may be nil (no receiver is halvable then).
	layers func(on bool)
	log    func(msg string, args ...any) // may be nil
	// sent is what the composite's encoder really sends in frames
	// other than keyframes (bits per second, 0 while unknown): what its
	// pictures take, without the keyframes a join or a loss asks for,
	// which at a room's start would count a still picture's need twice
	// over. May be nil.
	sent func() int

	mu      sync.Mutex
	shares  map[string]share // by receiver id
	halves  map[string]*halfRate
	layered bool        // layers was last told true
	current int         // the bitrate last set
	expiry  *time.Timer // applies again when the oldest share goes stale
	stopped bool

	// need is what the composite sent, on average, while it was last at
	// the configured bitrate (0: not known), and needAt when it was last
	// measured: what its pictures take when nobody holds it down.
	need   float64
	needAt time.Time
}

// share is a receiver's estimate and when it came.
type share struct {
	bps int
	at  time.Time
}

// halfRate is a receiver that may be sent every second frame, and whether
// it is.
type halfRate struct {
	set   func(on bool) // tells its writer
	on    bool
	ok    time.Time     // since when its estimate has been enough for every frame (zero: not)
	whole time.Time     // when it was last given every frame again
	hold  time.Duration // how long ok must last
}

func newDownlink(floor, ceiling int, set func(bps int) error) *downlink {
	return &downlink{max: ceiling, floor: floor, set: set, now: time.Now, stale: downlinkStale,
		shares: map[string]share{}, current: ceiling}
}

// update takes receiver id's estimate.
func (d *downlink) update(id string, bps int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shares[id] = share{bps, d.now()}
	d.apply()
}

// halvable says that receiver id may be sent every second frame; set
// tells its writer whether it is. Call before its first update.
func (d *downlink) halvable(id string, set func(on bool)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.halves == nil {
		d.halves = map[string]*halfRate{}
	}
	d.halves[id] = &halfRate{set: set, hold: downlinkHoldFirst}
}

// halved tells whether receiver id is on half rate.
func (d *downlink) halved(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.halves[id]
	return h != nil && h.on
}

// forget drops a receiver that left.
func (d *downlink) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.shares, id)
	delete(d.halves, id)
	d.apply()
}

// stop ends the expiry timer; the room is closing.
func (d *downlink) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.expiry != nil {
		d.expiry.Stop()
	}
}

// expire applies the shares again, without the ones that went stale.
func (d *downlink) expire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.stopped {
		d.apply()
	}
}

// apply sets the least estimate renewed within d.stale, within the floor
// and the configured bitrate, when it has moved by a step, and sets the
// timer for when the oldest share goes stale (the receiver holding the
// bitrate down may be the only one reporting, and stop); d.mu must be
// held.
func (d *downlink) apply() {
	target, now := d.max, d.now()
	var oldest time.Time
	// The estimate the receivers on half rate are measured against: the
	// lowest of the upper half (of two, the better; of three, the
	// middle one), within the configured bitrate. Those under half of it
	// are never more than the rest: a few slow receivers are spared for
	// the many, never the many for a few (nine participants at 700 kbit/s
	// are not all halved for one viewer at 1.5 Mbit/s).
	var ests []int
	measured := map[string]int{} // the estimates as measured against ref
	for id, sh := range d.shares {
		if now.Sub(sh.at) >= d.stale {
			delete(d.shares, id)
			// Nor does its half rate: the encoder would go on making
			// droppable frames for everyone, and it would be sent half
			// the frames for as long as it stays.
			if h := d.halves[id]; h != nil && h.on {
				h.on, h.ok = false, time.Time{}
				h.set(false)
			}
			continue
		}
		if oldest.IsZero() || sh.at.Before(oldest) {
			oldest = sh.at
		}
		// An estimate that has reached the most its receiver was tried at
		// (downlinkTried times the composite's bitrate, and the growth
		// since the last report) shows what the composite let it take,
		// not what it can: with the composite held to a slow receiver, the
		// others' estimates would stay within about 1.6 times its own,
		// never twice, and a link that worsens slowly would never be
		// halved. Such a receiver is taken to take the configured bitrate
		// (and is not halved itself).
		e := min(sh.bps, d.max)
		if float64(e) >= downlinkTried*float64(d.current) {
			e = d.max
		}
		ests = append(ests, e)
		measured[id] = e
	}
	slices.Sort(ests)
	ref := 0
	if len(ests) > 0 {
		ref = ests[len(ests)/2]
	}
	// need is ref, but not more than the pictures take: a still picture
	// sends far under the configured bitrate, and a receiver whose
	// estimate, cut from what is sent after a moment's loss, is under
	// half of the others' would be halved for nobody's gain, until its
	// estimate had grown to 60 % of a bitrate the picture never uses
	// (some 15 s).
	if d.sent != nil && d.current >= d.max {
		if s := float64(d.sent()); s > 0 {
			w := 1.0
			if d.need > 0 {
				w = min(1, now.Sub(d.needAt).Seconds()/downlinkNeedTime.Seconds())
			}
			d.need, d.needAt = d.need+w*(s-d.need), now
		}
	}
	need := ref
	if d.need > 0 {
		need = min(ref, int(d.need))
	}
	// A receiver is halved only if the composite could then rise: each
	// receiver holds it to its estimate, or to twice it on half rate (or
	// about to be), and one that another holds no higher than its own
	// estimate (a receiver of H.264, one already halved at the floor)
	// would lose half its frames for nobody's gain.
	var low, second, lowID = d.max, d.max, ""
	for id, sh := range d.shares {
		limit := sh.bps
		if h := d.halves[id]; h != nil && (h.on || float64(measured[id]) < downlinkHalfUnder*float64(need)) {
			limit = 2 * sh.bps
		}
		if limit < low {
			low, second, lowID = limit, low, id
		} else if limit < second {
			second = limit
		}
	}
	for id, sh := range d.shares {
		h := d.halves[id]
		if h == nil {
			target = min(target, sh.bps)
			continue
		}
		others := low
		if id == lowID {
			others = second
		}
		d.halve(id, h, measured[id], need, others > max(sh.bps, d.floor), others <= d.floor, len(ests) == 1, now)
		if h.on {
			target = min(target, 2*sh.bps)
		} else {
			target = min(target, sh.bps)
		}
	}
	if d.layers != nil {
		on := false
		for _, h := range d.halves {
			on = on || h.on
		}
		if on != d.layered {
			d.layered = on
			d.layers(on)
		}
	}
	if !oldest.IsZero() && !d.stopped {
		wait := oldest.Add(d.stale).Sub(now)
		if d.expiry == nil {
			d.expiry = time.AfterFunc(wait, d.expire)
		} else {
			d.expiry.Reset(wait)
		}
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

// halve puts receiver id, whose estimate is bps, on half rate or back to
// every frame, against need (see apply); gain: the others would let the
// composite rise above bps; held: the others hold it at the floor, where
// it would be with this receiver whole (a halved receiver's estimate
// grows to no more than 0.81 times the composite's bitrate, and would
// never reach 60 % of need); alone: it is the only receiver, and nobody
// would gain from its being halved. A receiver held at the floor is not
// halved for that: unless the pictures need over twice the floor (when
// need halves it anyway), the composite at the floor carries them well
// enough, and it would lose half its frames for little (a still picture
// needing 450 kbit/s, a link of 300 kbit/s: the others' mix went from 320
// to 510 kbit/s, the halved receiver from 30 pictures a second to 16).
// d.mu must be held.
func (d *downlink) halve(id string, h *halfRate, bps, need int, gain, held, alone bool, now time.Time) {
	switch {
	case !h.on && gain && float64(bps) < downlinkHalfUnder*float64(need):
		if !h.whole.IsZero() && now.Sub(h.whole) < downlinkWholeTried {
			h.hold = min(2*h.hold, downlinkHoldMax)
		} else {
			h.hold = downlinkHoldFirst
		}
		h.on, h.ok = true, time.Time{}
		h.set(true)
		if d.log != nil {
			d.log("receiver sent every second frame: its link takes less than half of the others'",
				"session", id, "downlink_bitrate", bps, "others", need)
		}
	case h.on && (alone || held || float64(bps) >= downlinkWholeAt*float64(need)):
		if h.ok.IsZero() {
			h.ok = now
		}
		if !alone && now.Sub(h.ok) < h.hold {
			return
		}
		h.on, h.whole = false, now
		h.set(false)
		if d.log != nil {
			d.log("receiver sent every frame again", "session", id, "downlink_bitrate", bps, "others", need)
		}
	case h.on:
		h.ok = time.Time{}
	}
}
