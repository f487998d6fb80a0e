package mixer

import (
	"slices"
	"time"

	"mcu/codec"
)

// How receivers' packet loss sets the audio encoders' in-band FEC.
//
// libopus (codec.OpusEncoder.SetPacketLoss) adds FEC as soon as it expects
// any loss, and pays for it by coding speech in SILK or hybrid packets
// instead of CELT; how much loss it expects changes little beyond that. So
// what matters is whether an encoder expects loss at all, and that this
// does not switch back and forth with every report: a receiver that loses
// one packet every two or three seconds sends reports of 0 and 2 % in
// turn, a second apart. Each receiver's loss is therefore the highest it
// reported over the last lossHold of media time (the reports are taken at
// the audio ticks). The first lossy report counts at once, so the next
// packets already carry FEC, and the encoder goes back to CELT lossHold
// after the last one: steady light loss holds FEC steadily, and an
// isolated loss costs lossHold of SILK. An average with a fast attack and
// a slow release would do much the same with two rates to tune, and
// rounded to whole percent its release would depend on the peak.
//
// lossHold is longer than the longest gap between two reports of a
// browser: libwebrtc reports on a received audio stream every 5 s on
// average, each interval drawn from 2.5 to 7.5 s (pion every second); a
// hold of 5 s let a steadily lossy browser's FEC drop out between half of
// its reports.
const (
	lossHold = 8 * time.Second
	// maxLoss caps a report (percent): FEC repairs a single lost packet,
	// and more expected loss only makes libopus spend more of the bitrate
	// on redundancy and less on the sound everyone hears.
	maxLoss = 25
)

// lossReport is a receiver's report taken at an audio tick.
type lossReport struct {
	at      time.Duration // media time
	percent int
}

// lossPeak is the highest loss a receiver reported over the last lossHold:
// the reports that are or may become that highest, oldest first, each
// lower than the one before it (so at most maxLoss of them).
type lossPeak []lossReport

// add takes a report at media time at, after every earlier one.
func (p *lossPeak) add(at time.Duration, percent int) {
	q := *p
	for len(q) > 0 && q[len(q)-1].percent <= percent {
		q = q[:len(q)-1] // never the highest again: percent outlives it
	}
	*p = append(q, lossReport{at: at, percent: percent})
}

// at returns the peak at media time t (0 when there is none) and forgets
// the reports older than lossHold.
func (p *lossPeak) at(t time.Duration) int {
	q := *p
	i := 0
	for i < len(q) && t-q[i].at >= lossHold {
		i++
	}
	*p = slices.Delete(q, 0, i)
	if len(*p) == 0 {
		return 0
	}
	return (*p)[0].percent
}

// SetAudioLoss passes on the packet loss (percent, 0..100) that receiver
// id reported for the audio it gets: a participant's own mix, or the full
// mix for a viewer (any id that is not a participant's). It may be called
// from any goroutine, as often as reports come; the mixer takes the
// reports at its next tick. A participant's own mix follows their loss
// (but for the last shareLead ticks before they share the full mix's
// packets, when it is set as the full mix's); the full mix follows the
// worst among everyone, since viewers and the recording hear it and so
// does every participant while quiet, which a talker is again
// quietHangover ticks after each sentence (counting only the quiet ones
// would switch the full mix's mode with who talks). Remove forgets id's
// reports.
func (m *Mixer) SetAudioLoss(id string, percent int) {
	percent = min(percent, maxLoss)
	if percent <= 0 {
		return // nothing to take: a report of no loss never raises a peak
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.lossIn[id] = max(m.lossIn[id], percent)
}

// AudioLoss is the packet loss (percent) the full mix's encoder expects:
// the configured one until the audio ticks take reports. Safe from any
// goroutine.
func (m *Mixer) AudioLoss() int { return int(m.fullLoss.Load()) }

// forgetLoss drops id's reports, from the next tick on; m.mu must be held.
func (m *Mixer) forgetLoss(id string) {
	delete(m.lossIn, id)
	if !m.closed {
		m.lossGone = append(m.lossGone, id)
	}
}

// takeLoss takes the reports given since the last tick, at the tick at
// t, into the receivers' peaks; m.mu must be held.
func (m *Mixer) takeLoss(t time.Duration) {
	for id, percent := range m.lossIn {
		p := m.losses[id]
		if p == nil {
			p = &lossPeak{}
			m.losses[id] = p
		}
		p.add(t, percent)
	}
	clear(m.lossIn)
	for _, id := range m.lossGone {
		delete(m.losses, id)
	}
	m.lossGone = m.lossGone[:0]
}

// updateLoss sets every audio encoder's expected loss for the audio tick
// at t: a participant's own encoder their peak, the full mix's the highest
// peak of all, never below the configured loss. A receiver whose peak has
// run out is forgotten.
func (m *Mixer) updateLoss(t time.Duration) {
	floor := m.cfg.Audio.PacketLoss
	full := floor
	for id, p := range m.losses {
		percent := p.at(t)
		if percent == 0 {
			delete(m.losses, id)
			continue
		}
		full = max(full, percent)
	}
	m.setLoss("", m.audio.enc, full)
	m.fullLoss.Store(int64(full))
	for _, mem := range m.members {
		if mem.MixMinus {
			own := floor
			if p := m.losses[mem.ID]; p != nil {
				own = max(own, p.at(t))
			}
			if mem.quiet >= quietHangover-shareLead {
				// Quiet for most of the hangover, about to share the full
				// mix's packets: set as the full mix's encoder is, so that
				// both code in the same mode when the stream passes from
				// one to the other. (Not from the first quiet tick: every
				// pause between words would switch the talker's mode.)
				own = full
			}
			m.setLoss(mem.ID, mem.enc, own)
		}
	}
}

// shareLead is how many ticks before sharing the full mix's packets a
// quiet participant's encoder takes on its expected loss: time for
// libopus to settle in the mode that goes with it (600 ms: a shorter lead
// leaves a step in level at the switch, TestMixMinusSharesWithoutASeam),
// and still later than the pauses between sentences (1 s quiet).
const shareLead = 30

// setLoss tells an encoder (participant id's, or the full mix's for "")
// the loss to expect. It only fails for a value libopus refuses, which
// SetPacketLoss's clamp rules out: should it happen, the encoder goes on
// with its setting, and the sound is unharmed.
func (m *Mixer) setLoss(id string, enc *codec.OpusEncoder, percent int) {
	if err := enc.SetPacketLoss(percent); err != nil {
		m.log.Warn("opus packet loss", "participant", id, "err", err)
	}
}
