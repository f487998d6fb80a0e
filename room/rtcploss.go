package room

import "github.com/pion/rtcp"

// lossWindowPackets is the fewest packets a loss figure covers. A receiver
// in compound RTCP (no rtcp-rsize, as here) sends a report with each NACK
// and PLI, each about the few packets since the one before: one packet
// lost in five would read as 20 %. WebRTC's own loss-based estimate waits
// for 20 too.
const lossWindowPackets = 20

// lossWindowRestart: counters further back than this many packets were
// restarted, not reordered.
const lossWindowRestart = 1000

// lossWindow gathers a receiver's report blocks about one stream until
// they cover lossWindowPackets expected packets, from the change in their
// extended highest sequence number and cumulative loss (RFC 3550 6.4.1).
// The first report only sets where the counting starts, as does one whose
// counters went back more than lossWindowRestart; a report about no new
// packet, or a little older than the last, says nothing; every report of
// a receiver that leaves the sequence number at 0 is taken alone, as its
// own fraction. Use from one goroutine.
type lossWindow struct {
	seen            bool
	highest, lost   uint32 // the last block's counters
	expected, lostN int64  // since the last answer; lostN in 256ths of a packet
}

// add takes a block; ok when a loss figure (of 256) is ready.
func (w *lossWindow) add(b rtcp.ReceptionReport) (fractionLost uint8, ok bool) {
	expected := int64(int32(b.LastSequenceNumber - w.highest))
	switch {
	case b.LastSequenceNumber == 0:
		return b.FractionLost, true // the counters are not kept: each report alone
	case !w.seen, expected < -lossWindowRestart:
		// The first report, or counters that went far back (a receiver
		// that restarted them, or one that reports 16 bits and wrapped):
		// they count from here.
		w.seen, w.highest, w.lost, w.expected, w.lostN = true, b.LastSequenceNumber, b.TotalLost, 0, 0
		return 0, false
	case expected <= 0:
		return 0, false // no packet since the last report, or an older one
	}
	lost := 256 * int64(int32((b.TotalLost-w.lost)<<8)>>8) // a 24-bit count, which may go back (duplicates)
	if b.TotalLost == w.lost && (b.TotalLost == 0x7fffff || b.TotalLost == 0xffffff) {
		// The count stopped at its largest (RFC 3550 A.3: libwebrtc at
		// 2^23-1, pion at 2^24-1) after days of loss: the report's own
		// fraction tells the loss since its last.
		lost = int64(b.FractionLost) * expected
	}
	w.highest, w.lost = b.LastSequenceNumber, b.TotalLost
	w.expected, w.lostN = w.expected+expected, w.lostN+lost
	if w.expected < lossWindowPackets {
		return 0, false
	}
	fraction := min(max(w.lostN/w.expected, 0), 255)
	w.expected, w.lostN = 0, 0
	return uint8(fraction), true
}

// lossFigures returns what reads a receiver's RTCP for the report blocks
// about stream ssrc, in its receiver and sender reports, and calls f with
// each loss figure (of 256) they make over a lossWindow.
func lossFigures(ssrc uint32) func(pkts []rtcp.Packet, f func(fractionLost uint8)) {
	var w lossWindow
	return func(pkts []rtcp.Packet, f func(fractionLost uint8)) {
		for _, p := range pkts {
			var blocks []rtcp.ReceptionReport
			switch p := p.(type) {
			case *rtcp.ReceiverReport:
				blocks = p.Reports
			case *rtcp.SenderReport:
				blocks = p.Reports
			}
			for _, b := range blocks {
				if b.SSRC != ssrc {
					continue // another stream's
				}
				if fractionLost, ok := w.add(b); ok {
					f(fractionLost)
				}
			}
		}
	}
}

// lossPercent is a report block's fraction lost (of 256) in whole percent,
// rounded up: one packet lost in a report counts.
func lossPercent(fractionLost uint8) int {
	return (int(fractionLost)*100 + 255) / 256
}
