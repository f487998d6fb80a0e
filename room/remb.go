package room

import (
	"time"

	"github.com/pion/rtcp"

	"mcu/layout"
)

// A browser sends its camera at whatever its encoder and network allow, up
// to 2.5 Mbit/s and more, though the server shows it in a tile and
// re-encodes it at that tile's share of the mix's bitrate. So the server
// tells each sender the most worth sending: rembHeadroom times its tile's
// share of the mix's bitrate (of the part of the tile its picture covers),
// in a REMB (RTCP's receiver-estimated maximum
// bitrate, negotiated as goog-remb), which browsers take as a ceiling on
// their estimate. Under it a browser's encoder also lowers its resolution
// towards the tile's, and the server decodes fewer pixels: the uplink of
// every participant and the server's CPU both gain. When the layout gives
// someone a larger tile, their next REMB raises the ceiling; when the mix's
// bitrate falls because a receiver can take less (downlink), so do the
// ceilings.
const (
	// rembHeadroom: what is decoded is re-encoded at lower quality, so the
	// input may be a few times the bits its tile gets in the mix.
	rembHeadroom = 3
	// minREMB and maxREMB bound the ceiling: below ~150 kbit/s a camera's
	// picture breaks up even in a small tile, and above 2.5 Mbit/s a
	// camera's picture improves little.
	minREMB = 150_000
	maxREMB = 2_500_000
	// rembInterval is how often a sender is told (as browsers' own
	// receivers do, about once a second).
	rembInterval = time.Second
	// rembHeaders and rembSound are added to the ceiling for what else
	// the sender sends: a browser takes a REMB as the ceiling of all it
	// sends on the connection, the packets' headers and its sound
	// included (Chromium's camera target settled 65-96 kbit/s under the
	// REMB, beside its Opus at 32 kbit/s), so the tile's worth alone would
	// leave the picture that much less. rembSound only for a sender whose
	// sound is read.
	rembHeaders = 20_000
	rembSound   = 60_000
)

// tileBitrate is the most worth sending for a tile of the canvas when the
// mix is encoded at bitrate (bits per second). An empty tile (a layout with
// no room left for someone: thumbnails of a tiny canvas) is worth the
// least.
func tileBitrate(tile, canvas layout.Size, bitrate int) int {
	if canvas.W <= 0 || canvas.H <= 0 {
		return maxREMB
	}
	if tile.W <= 0 || tile.H <= 0 {
		return minREMB
	}
	share := float64(tile.W*tile.H) / float64(canvas.W*canvas.H)
	return min(max(int(rembHeadroom*share*float64(bitrate)), minREMB), maxREMB)
}

// shownSize is how much of a cell a picture of size src covers: all of it
// when it fills the cell (cropped), less when it fits inside (bars around
// it), and all of it while the source's size is not known.
func shownSize(cell, src layout.Size, aspect layout.Aspect) layout.Size {
	dst, _ := layout.Place(src, layout.Rect{W: cell.W, H: cell.H}, aspect)
	if dst.W <= 0 || dst.H <= 0 {
		return cell
	}
	return layout.Size{W: dst.W, H: dst.H}
}

// bitrateCap returns what the reader of the participant's video stream
// ssrc calls for each packet: once per rembInterval, it sends them the
// ceiling for the part of their tile their picture covers, once there is
// a tile and a picture. Use from one goroutine.
func (s *Session) bitrateCap(ssrc uint32) func(now time.Time) {
	var last time.Time
	vc := s.room.mgr.cfg.Mixer.Video
	canvas := layout.Size{W: vc.Width, H: vc.Height}
	return func(now time.Time) {
		if now.Sub(last) < rembInterval {
			return
		}
		cell, aspect, ok := s.video.Box()
		st := s.stream.Load()
		if !ok || st == nil || st.Width <= 0 || st.Height <= 0 {
			return // no tile yet, or no picture to place in it
		}
		tile := shownSize(cell, layout.Size{W: st.Width, H: st.Height}, aspect)
		last = now
		ceiling := tileBitrate(tile, canvas, s.room.mixer.Bitrate()) + rembHeaders
		if s.audioTaken.Load() {
			ceiling += rembSound
		}
		remb := &rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(ceiling), SSRCs: []uint32{ssrc}}
		_ = s.pc.WriteRTCP([]rtcp.Packet{remb}) // fails only once the connection is closing
	}
}
