package room

import (
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// assemblerSlots is how many packets the assembler can hold while it waits
// for a missing one (seconds of a camera's video; a power of two), and so
// one more than the largest frame it can rebuild: a 4K keyframe, the
// largest picture the decoders take (codec.MaxDecodePixels), can pass
// 600 KB, over 500 packets. 32 KB of slots per participant.
const assemblerSlots = 1024

// maxLate is how many packets in a row older than the ones consumed make
// the assembler take them as the stream's new numbering, when they are
// farther behind the newest than the ring reaches or their RTP time is
// not in the last recentTime of the stream's: a sender that restarted
// lower would otherwise be dropped until its numbers caught up, up to
// minutes later. Late retransmissions are near, in number and time: after
// a long outage on a slow link a burst of them can pass maxLate, and
// taking it for a restart would throw away the frames held since.
const maxLate = 64

// recentTime is how far back, at the video clock (90 kHz), a late
// packet's RTP time may be and still be taken for a retransmission.
const recentTime = 10 * 90000

// assemblerPatience is how long a missing packet is waited for (reordering,
// a NACK retransmission) before the frame it belonged to is given up. A
// retransmission comes back up to one interval of pion's NACK generator
// (nackInterval, 50 ms) plus a round trip after the loss is seen, and a
// second request, if the first or its answer was lost too, another round
// trip later: 600 ms covers one request over round trips up to ~500 ms
// (another continent over a mobile network), two up to ~250 ms. Shorter,
// every loss on such a link costs a keyframe (a PLI, a large frame, and a
// frozen tile until it comes): at 300 ms, a 280 ms round trip with 3 %
// loss made 27 to 37 PLIs in 35 s, none at 600. It holds a frame back
// only while one of its packets is missing. (A variable for a test whose
// decoder is held past the wait, which must stay under maxDecodeLag.)
var assemblerPatience = 600 * time.Millisecond

// frameAssembler rebuilds whole video frames from a participant's RTP
// packets: it puts them back in order, waits a little for late ones, and
// reports losses. A frame ends with its marker bit (VP8, VP9, H.264 and AV1 as
// WebRTC sends them). It is a small ring indexed by sequence number: pion's
// sample builder holds two 65536-entry tables (1 MB) per stream.
//
// Only whole frames are emitted: packets up to a marker that do not begin
// a frame (the first ones seen may be mid-frame; so may those after a
// packet is given up) are the tail of one and are given up too. Emitted, a
// tail would pass for a frame, and the tail of an H.264 keyframe holds IDR
// slices.
type frameAssembler struct {
	newDepacketizer func() rtp.Depacketizer
	dep             rtp.Depacketizer

	ring     [assemblerSlots]slot
	started  bool
	consumed bool   // a packet was consumed or given up: next only moves on
	next     uint16 // first sequence number not consumed yet
	atStart  bool   // next begins a frame: the packet before it had a marker
	newest   uint16
	// newestTime is the newest packet's RTP time, once a packet is held
	// since the start or the last giveUpTo (timed).
	newestTime uint32
	// highestTime is the highest RTP time of the packets held since then:
	// ahead of newestTime in a stream with B-frames, whose reference
	// pictures are sent before the pictures shown before them.
	highestTime uint32
	timed       bool
	lost        int // packets given up since the last frame
	late        int // packets in a row older than next
	outgrown    int // frames given up for being larger than the ring, until the reader takes the count
	// waitUntil is deadline's, as drain found it last (zero: nothing
	// missing); every change to what is held ends with a drain.
	waitUntil time.Time
	buf       []byte
	free      []*heldPacket // packets consumed, to be read into again
	// pic is the pictureID of the frame emitted last (H.264: of the last
	// reference picture), while nothing was given up since (else pic.mod
	// is 0).
	pic pictureID
	// sps is the last H.264 SPS seen, for reading frame_num; nalHead is
	// the first bytes of an FU-A's NAL unit, put back together.
	sps     codec.H264SPS
	nalHead []byte
}

type slot struct {
	pkt     *heldPacket
	arrival time.Time
}

// heldPacket is a parsed packet in memory of its own, which the assembler
// reuses once the packet is consumed or given up: a participant's packets
// cost no allocation once the assembler holds as many as it ever needs.
type heldPacket struct {
	rtp.Packet
	buf []byte
}

// assembled is one frame, valid until the next push.
type assembled struct {
	data    []byte
	lost    int // packets given up just before this frame, and its own the depacketizer refused
	arrival time.Time
	layer   temporalLayer // a VP8 frame's temporal layer, if its sender says
}

func newFrameAssembler(newDepacketizer func() rtp.Depacketizer) *frameAssembler {
	return &frameAssembler{newDepacketizer: newDepacketizer, dep: newDepacketizer()}
}

// recentRTPTime reports whether ts is an RTP time a stream whose newest
// packet is of newest was at in its last recentTime: a retransmission's.
func recentRTPTime(newest, ts uint32) bool {
	back := int64(int32(newest - ts))
	return back >= 0 && back <= recentTime
}

// distance is b − a in sequence-number space, negative when b is older.
func distance(a, b uint16) int { return int(int16(b - a)) }

// push parses a packet that arrived at now (raw is not kept), calls emit
// for each frame it completes, in order, and returns the size of the
// packet's payload.
func (a *frameAssembler) push(raw []byte, now time.Time, emit func(assembled)) (int, error) {
	p := a.packet()
	p.buf = append(p.buf[:0], raw...)
	if err := p.Unmarshal(p.buf); err != nil {
		a.release(p)
		return 0, err
	}
	size := len(p.Payload)
	if !a.started {
		a.started, a.next, a.newest = true, p.SequenceNumber, p.SequenceNumber
	}
	d := distance(a.next, p.SequenceNumber)
	back := distance(p.SequenceNumber, a.newest) // how far behind the newest
	switch {
	case d < 0 && !a.consumed && back < assemblerSlots:
		// Reordered before anything was consumed (the stream's first
		// packets, the first keyframe's): the stream starts here.
		a.next = p.SequenceNumber
	case d < 0 && back >= 0 && back < assemblerSlots && (recentRTPTime(a.newestTime, p.Timestamp) || recentRTPTime(a.highestTime, p.Timestamp)):
		a.release(p)
		return size, nil // late (a retransmission after its frame was given up) or duplicate
	case d < 0:
		// Older than what was consumed, and either farther behind than
		// the ring reaches or of a time the stream is not at (not a
		// retransmission): maxLate of them in a row is a sender that
		// went back (it restarted its numbering): follow it, from a
		// frame's start (giveUpTo).
		if a.late++; a.late < maxLate {
			a.release(p)
			return size, nil
		}
		a.lost += a.late - 1
		a.giveUpTo(p.SequenceNumber)
	case d >= assemblerSlots:
		// Far ahead (a long loss, or the sender jumped, or a frame larger
		// than the ring): give up all we hold and start over here.
		if a.frameOutgrows() {
			a.outgrown++
		}
		a.giveUpTo(p.SequenceNumber)
	}
	s := &a.ring[p.SequenceNumber%assemblerSlots]
	if s.pkt != nil && s.pkt.SequenceNumber == p.SequenceNumber {
		a.release(p)
		return size, nil // duplicate
	}
	if a.late > 0 && d >= 0 {
		// Packets were just dropped as older than those consumed and not
		// of the stream's recent time: a sender that restarted its
		// numbering a little behind (fewer than maxLate), whose numbers
		// have now passed the old ones. What follows needs what was
		// dropped (its keyframe): it is lost, or the decoder would take the
		// new frames for the old stream's and show garbage, with no
		// error, until a keyframe nobody asked for.
		a.lost += a.late
	}
	a.late = 0
	a.clear(s)
	*s = slot{pkt: p, arrival: now}
	if !a.timed || int32(p.Timestamp-a.highestTime) > 0 || !recentRTPTime(a.highestTime, p.Timestamp) {
		// Ahead of the highest, or so far behind it that the sender's
		// times went back: the highest from here.
		a.highestTime = p.Timestamp
	}
	if distance(a.newest, p.SequenceNumber) > 0 || !a.timed {
		a.newest, a.newestTime, a.timed = p.SequenceNumber, p.Timestamp, true
	}
	a.drain(now, emit)
	return size, nil
}

// packet returns a packet to parse into.
func (a *frameAssembler) packet() *heldPacket {
	if n := len(a.free); n > 0 {
		p := a.free[n-1]
		a.free = a.free[:n-1]
		return p
	}
	return &heldPacket{}
}

func (a *frameAssembler) release(p *heldPacket) { a.free = append(a.free, p) }

// clear empties a slot, keeping its packet for reuse.
func (a *frameAssembler) clear(s *slot) {
	if s.pkt != nil {
		a.release(s.pkt)
		s.pkt = nil
	}
}

// drain emits the complete frames at the head, and gives up a missing
// packet once it has been waited for long enough.
func (a *frameAssembler) drain(now time.Time, emit func(assembled)) {
	for {
		end, ok := a.completeFrame()
		if ok {
			if a.atStart || a.beginsFrame(end) {
				a.emitFrame(end, emit)
			} else {
				a.dropTail(end)
			}
			continue
		}
		// The head frame is incomplete. Give up its missing packet once it
		// has been known to be missing for assemblerPatience; a frame with
		// nothing missing is still arriving, however slowly (a large
		// keyframe over a slow link), and is waited for.
		since, missing := a.missingSince()
		if !missing {
			a.waitUntil = time.Time{}
			return
		}
		if a.skipPaddingGap() {
			continue
		}
		if a.waitUntil = since.Add(assemblerPatience); now.Before(a.waitUntil) {
			return
		}
		a.skipBrokenFrame()
	}
}

// skipPaddingGap moves past a gap that held no media the decoder needs, at
// once: between a frame emitted whole and the start of the frame whose
// pictureID follows its own, with nothing but padding held in between. A
// browser that has no RTX stream to probe the bandwidth with sends
// padding-only packets in the video stream itself and does not resend
// them, so waiting for one would cost assemblerPatience, then a keyframe,
// for no loss at all. (For H.264 the gap may also have held a picture
// that is no reference, which no other picture needs.)
func (a *frameAssembler) skipPaddingGap() bool {
	if !a.atStart || a.pic.mod == 0 {
		return false
	}
	missing := 0
	for seq := a.next; distance(seq, a.newest) >= 0; seq++ {
		s := a.ring[seq%assemblerSlots]
		if s.pkt == nil || s.pkt.SequenceNumber != seq {
			missing++
			continue
		}
		if len(s.pkt.Payload) == 0 {
			continue // padding
		}
		if seq == a.next || !frameHead(a.dep, s.pkt.Payload) {
			return false // the gap is inside the head frame, or held media
		}
		if next, _, ok := a.pictureIDFrom(seq); !ok || !a.pic.followedWithin(next, missing) {
			return false
		}
		for ; a.next != seq; a.next++ {
			a.clear(&a.ring[a.next%assemblerSlots])
		}
		return true
	}
	return false
}

// pictureID tells whether a frame follows the last one emitted with no
// frame it needs lost in between: a VP8 picture ID, which counts every
// picture, or an H.264 frame_num, which counts reference pictures (the
// last one's is kept: a picture that is no reference may be lost with
// nothing lost to the decoder). mod is the modulus (VP8: 2^7 or 2^15;
// H.264: 2^log2_max_frame_num), 0 when unknown; ts is the frame's RTP
// timestamp.
type pictureID struct {
	id, mod int
	ts      uint32
	h264    bool
	idr     bool // an H.264 IDR picture
	sps     bool // its SPS came with it, in its first packets
}

// fastestFrame is the shortest time between two frames a sender is taken
// to send, in RTP ticks of video's 90 kHz clock (120 frames a second).
const fastestFrame = 90000 / 120

func (p pictureID) followedBy(q pictureID) bool {
	if p.mod == 0 || p.mod != q.mod || p.h264 != q.h264 {
		return false
	}
	if q.idr {
		// It needs nothing before it but its parameter sets, which a
		// lost packet may have held unless they came with it.
		return q.sps
	}
	// A number that only looks next, having gone round once or more, takes
	// mod frames: more time than passed. The time may go back (a B-frame
	// is shown before the reference picture sent ahead of it).
	d := int64(int32(q.ts - p.ts))
	return q.id == (p.id+1)%p.mod && d > -int64(p.mod*fastestFrame) && d < int64(p.mod*fastestFrame)
}

// followedWithin is followedBy for a frame after a gap of missing packets
// since the end of p's frame. Each frame lost in between took a packet at
// least, so a gap of fewer packets than mod cannot hide a round of
// numbers, however long it lasted (a screen share sends a frame a second
// or less, and an H.264 encoder's frame_num may count to 16).
//
// But an H.264 IDR picture starts frame_num again at 0 (and so does a
// picture with memory_management_control_operation 5): one lost with the
// q.id−1 reference pictures after it, a packet each at least, fits in a
// gap of q.id packets or more, and q, which refers to them, then looks
// next (an IDR emitted, a second IDR lost, a picture numbered 1). Such a
// gap is waited for, however fast the frames come.
func (p pictureID) followedWithin(q pictureID, gap int) bool {
	if q.h264 && !q.idr && q.id >= 1 && q.id <= gap {
		return false
	}
	if gap < p.mod && p.mod == q.mod && p.h264 == q.h264 && !q.idr && q.id == (p.id+1)%p.mod {
		return true
	}
	return p.followedBy(q)
}

// pictureIDFrom reads the pictureID of the frame whose first packet with
// media is at seq, and whether that frame is a reference one (every VP8
// and VP9 frame is taken to be), where it can tell. VP8: the picture ID of
// the payload descriptor (RFC 7741 4.2). VP9: that of its descriptor (RFC
// 9628 4.2), from a packet that begins the base layer only: the layers of
// one picture share its ID and each begins a frame, so a lost base layer
// would otherwise look like a gap between pictures. H.264: the frame_num
// of its first slice, read with the last SPS seen, which an SPS on the
// way updates; the packets from seq are read until the slice, all of them
// there, at most maxSliceSearch of them.
func (a *frameAssembler) pictureIDFrom(seq uint16) (pic pictureID, ref, ok bool) {
	first := a.ring[seq%assemblerSlots].pkt
	if _, h264 := a.dep.(*codecs.H264Packet); h264 {
		pic, ref, ok = a.h264PictureID(seq)
	} else if _, vp9 := a.dep.(*codecs.VP9Packet); vp9 {
		pic, ok = vp9PictureID(first.Payload)
		ref = ok
	} else {
		pic, ok = vp8PictureID(a.dep, first.Payload)
		ref = ok
	}
	pic.ts = first.Timestamp
	return pic, ref, ok
}

func vp8PictureID(dep rtp.Depacketizer, p []byte) (pictureID, bool) {
	const x, i = 0x80, 0x80
	if _, vp8 := dep.(*codecs.VP8Packet); !vp8 || len(p) < 3 || p[0]&x == 0 || p[1]&i == 0 {
		return pictureID{}, false
	}
	pic, _, ok := readPictureID(p[2:])
	return pic, ok
}

// vp9PictureID reads the picture ID of a VP9 payload that begins a
// picture's base layer: B set, and no layer indices or a spatial layer of
// 0.
func vp9PictureID(p []byte) (pictureID, bool) {
	const i, l, b = 0x80, 0x20, 0x08
	if len(p) < 2 || p[0]&i == 0 || p[0]&b == 0 {
		return pictureID{}, false
	}
	layered := p[0]&l != 0
	p = p[1:]
	pic, size, ok := readPictureID(p)
	if !ok || layered && (len(p) <= size || p[size]>>1&0x07 != 0) {
		return pictureID{}, false // an upper spatial layer's, or cut short
	}
	return pic, true
}

// readPictureID reads a picture ID as VP8's and VP9's payload descriptors
// write it (RFC 7741 4.2, RFC 9628 4.2), at the start of p: 7 bits in one
// byte, or 15 bits in two when the first byte's M bit is set. size is
// the bytes it takes.
func readPictureID(p []byte) (pic pictureID, size int, ok bool) {
	const m = 0x80 // a 15-bit picture ID
	switch {
	case len(p) < 1:
		return pictureID{}, 0, false
	case p[0]&m == 0:
		return pictureID{id: int(p[0]), mod: 1 << 7}, 1, true
	case len(p) < 2:
		return pictureID{}, 0, false
	}
	return pictureID{id: int(p[0]&0x7f)<<8 | int(p[1]), mod: 1 << 15}, 2, true
}

// maxSliceSearch is how many packets from a frame's first are searched
// for its first slice: parameter sets, an SEI and the slice's start come
// in four at most, one by one; read further, a sender's packets of
// parameter sets with no slice would be parsed again at every packet.
const maxSliceSearch = 8

func (a *frameAssembler) h264PictureID(seq uint16) (pic pictureID, ref, ok bool) {
	spsSeen := false
	for end := seq + maxSliceSearch; distance(seq, a.newest) >= 0 && seq != end; seq++ {
		s := a.ring[seq%assemblerSlots]
		if s.pkt == nil || s.pkt.SequenceNumber != seq {
			break // missing: the slice is not there to read
		}
		done := false
		a.nalHead = forEachH264NAL(s.pkt.Payload, a.nalHead, func(nal []byte) bool {
			switch nal[0] & 0x1f {
			case 7:
				sps, err := codec.ParseH264SPS(nal)
				a.sps, spsSeen = sps, err == nil // misread: frame_num unknown
			case 5:
				pic = pictureID{mod: 1 << a.sps.FrameNumBits, h264: true, idr: true, sps: spsSeen}
				ref, ok, done = true, a.sps.FrameNumBits != 0, true
			case 1:
				fn, isRef, err := codec.H264FrameNum(nal, a.sps)
				pic = pictureID{id: fn, mod: 1 << a.sps.FrameNumBits, h264: true}
				ref, ok, done = isRef, err == nil, true
			}
			return !done
		})
		if done || s.pkt.Marker {
			break
		}
	}
	if !ok {
		return pictureID{}, false, false
	}
	return pic, ref, true
}

// maxSliceHeader is more than enough of a slice NAL unit to read its
// frame_num: three Exp-Golomb numbers of a picture's first slice, two bits
// and 16 at most, and room for emulation prevention bytes.
const maxSliceHeader = 32

// forEachH264NAL calls fn with each NAL unit an H.264 RTP payload begins
// (RFC 6184: a single NAL unit, each unit of a STAP-A, the first bytes of
// the unit an FU-A starts; WebRTC uses no other), until fn returns false.
// An FU-A's header is put back together in head, which is returned for
// reuse; a later fragment of an FU-A begins none.
func forEachH264NAL(p, head []byte, fn func(nal []byte) bool) []byte {
	switch {
	case len(p) == 0:
	case p[0]&0x1f == 24: // STAP-A: 16-bit sizes, each before its NAL unit
		for rest := p[1:]; len(rest) >= 2; {
			size := int(rest[0])<<8 | int(rest[1])
			rest = rest[2:]
			nal := rest[:min(size, len(rest))] // cut short: what there is
			rest = rest[len(nal):]
			if len(nal) > 0 && !fn(nal) {
				break
			}
		}
	case p[0]&0x1f == 28: // FU-A: the NAL header's type is in the FU header
		const start = 0x80
		if len(p) >= 3 && p[1]&start != 0 {
			head = append(append(head[:0], p[0]&0xe0|p[1]&0x1f), p[2:min(len(p), 2+maxSliceHeader)]...)
			fn(head)
		}
	default:
		fn(p)
	}
	return head
}

// deadline is when the packet missing from the head frame will have been
// waited for long enough: drain gives it up from then on. It is zero when
// nothing is missing. The reader calls drain at the deadline if no packet
// comes before it (a sender paused, or a screen share at a low frame rate),
// so that the frames behind the gap are not held until the next packet.
func (a *frameAssembler) deadline() time.Time { return a.waitUntil }

// completeFrame reports whether the packets from next to a marker are all
// there, and the marker's sequence number.
func (a *frameAssembler) completeFrame() (uint16, bool) {
	for seq := a.next; distance(seq, a.newest) >= 0; seq++ {
		s := a.ring[seq%assemblerSlots]
		if s.pkt == nil || s.pkt.SequenceNumber != seq {
			return 0, false
		}
		if s.pkt.Marker {
			return seq, true
		}
	}
	return 0, false
}

// missingSince reports whether a packet of the head frame is missing and
// since when it is known to be: the arrival of the first packet held after
// the first gap. After a VP8, VP9 or H.264 frame emitted whole, and with no media before
// the gap, padding after the gap does not count: such a gap may have held
// padding only (skipPaddingGap), which the next packet with media tells,
// however long it takes to come (a camera turned off sends a picture a
// second, padding in between), and that packet's own loss or reordering
// is then waited for in full.
func (a *frameAssembler) missingSince() (time.Time, bool) {
	paddingMayFill := a.atStart && a.pic.mod != 0
	gap := false
	for seq := a.next; distance(seq, a.newest) >= 0; seq++ {
		s := a.ring[seq%assemblerSlots]
		switch {
		case s.pkt == nil || s.pkt.SequenceNumber != seq:
			gap = true
		case !gap:
			if len(s.pkt.Payload) > 0 {
				paddingMayFill = false // the gap is inside the head frame
			}
		case len(s.pkt.Payload) > 0 || !paddingMayFill:
			return s.arrival, true
		}
	}
	return time.Time{}, false
}

// skipBrokenFrame gives up the head frame: everything up to and including
// the first marker after the gap, or up to a packet after the gap that
// begins a frame (or all that is held, if neither: then what follows is
// mid-frame).
func (a *frameAssembler) skipBrokenFrame() {
	marker, gap := false, false
	for seq := a.next; !marker && distance(seq, a.newest) >= 0; seq++ {
		s := &a.ring[seq%assemblerSlots]
		present := s.pkt != nil && s.pkt.SequenceNumber == seq
		if gap && present && frameHead(a.dep, s.pkt.Payload) {
			// The next frame begins here, so the gap took the broken
			// frame's marker: stop, or that frame (perhaps the keyframe
			// asked for) would be given up with it.
			marker = true
			break
		}
		gap = gap || !present
		marker = present && s.pkt.Marker
		if present {
			a.clear(s)
		}
		a.lost++
		a.next = seq + 1
	}
	a.atStart, a.consumed, a.pic = marker, true, pictureID{}
	a.dep = a.newDepacketizer() // drop any half-assembled fragment
}

// frameOutgrows reports whether what is held is the start of one frame,
// none of it missing and its marker still to come, with no room left for
// the rest: a frame larger than the ring, which is never rebuilt.
func (a *frameAssembler) frameOutgrows() bool {
	if distance(a.next, a.newest) != assemblerSlots-1 {
		return false
	}
	for seq := a.next; distance(seq, a.newest) >= 0; seq++ {
		s := a.ring[seq%assemblerSlots]
		if s.pkt == nil || s.pkt.SequenceNumber != seq || s.pkt.Marker {
			return false
		}
	}
	return a.atStart || frameHead(a.dep, a.ring[a.next%assemblerSlots].pkt.Payload)
}

// giveUpTo forgets everything before seq, which may be mid-frame.
func (a *frameAssembler) giveUpTo(seq uint16) {
	a.lost += max(0, distance(a.next, seq))
	a.consumed = true
	for i := range a.ring {
		a.clear(&a.ring[i])
	}
	a.next, a.newest, a.atStart, a.pic, a.timed = seq, seq, false, pictureID{}, false
	a.dep = a.newDepacketizer()
}

// dropTail gives up next..end, a frame's tail: its start was lost or
// given up.
func (a *frameAssembler) dropTail(end uint16) {
	for seq := a.next; ; seq++ {
		a.clear(&a.ring[seq%assemblerSlots])
		a.lost++
		if seq == end {
			break
		}
	}
	a.next, a.atStart, a.consumed, a.pic = end+1, true, true, pictureID{}
}

// beginsFrame reports whether the complete run next..end begins a frame, as
// its first packet with a payload tells (padding carries none). A run of
// padding only is nothing to give up.
func (a *frameAssembler) beginsFrame(end uint16) bool {
	for seq := a.next; ; seq++ {
		p := a.ring[seq%assemblerSlots].pkt
		if len(p.Payload) > 0 {
			return frameHead(a.dep, p.Payload)
		}
		if seq == end {
			return true
		}
	}
}

// frameHead reports whether an RTP payload is known to begin a frame. Where
// the payload format cannot always tell, it is enough to recognise a
// keyframe's first packet: after a loss, and at the start, the decoder
// waits for a keyframe anyway, so a delta frame given up costs nothing.
func frameHead(dep rtp.Depacketizer, payload []byte) bool {
	if len(payload) == 0 {
		return false
	}
	switch dep.(type) {
	case *codecs.VP8Packet:
		// RFC 7741 4.2: S set and partition index 0 (pion's
		// IsPartitionHead looks at S alone, set on each partition's start).
		return payload[0]&0x17 == 0x10
	case *codecs.H264Packet:
		// pion's IsPartitionHead is true at any NAL unit's start, and a
		// picture may have several slices.
		return h264PacketStartsAccessUnit(payload)
	case *av1Depacketizer:
		// pion's IsPartitionHead (Z clear) is true at any OBU's start. N
		// marks the first packet of a coded video sequence: a keyframe with
		// its sequence header, the only frame codec.IsKeyframe takes.
		const z, n = 0x80, 0x08
		return payload[0]&(z|n) == n
	}
	return dep.IsPartitionHead(payload) // VP9: the B bit, a frame's start
}

// h264PacketStartsAccessUnit reads the first NAL unit of an H.264 RTP
// payload (RFC 6184: a single NAL unit, a STAP-A or the start of an FU-A;
// WebRTC uses no other).
func h264PacketStartsAccessUnit(p []byte) bool {
	var head [1 + maxSliceHeader]byte
	starts := false
	forEachH264NAL(p, head[:0], func(nal []byte) bool {
		starts = codec.H264StartsAccessUnit(nal)
		return false // the first one tells
	})
	return starts
}

// emitFrame depacketizes next..end into one frame.
func (a *frameAssembler) emitFrame(end uint16, emit func(assembled)) {
	a.buf = a.buf[:0]
	var arrival time.Time
	var pic pictureID
	var layer temporalLayer
	media, ref, known := false, false, false
	for seq := a.next; ; seq++ {
		s := &a.ring[seq%assemblerSlots]
		if len(s.pkt.Payload) > 0 {
			if !media { // read before this packet and those after it are cleared
				media = true
				pic, ref, known = a.pictureIDFrom(seq)
				if _, vp8 := a.dep.(*codecs.VP8Packet); vp8 {
					layer = vp8TemporalLayer(s.pkt.Payload)
				}
			}
			if payload, err := a.dep.Unmarshal(s.pkt.Payload); err == nil {
				a.buf = append(a.buf, payload...)
			} else if !ignoredPayload(a.dep, s.pkt.Payload) {
				// Media the depacketizer refuses (a STAP-A or a descriptor
				// cut short) is media lost: the frame must say so, or the
				// decoder conceals what is missing, with no error, and
				// every picture after is predicted from a damaged one.
				// Nor does its temporal layer spare it: the frame itself
				// is damaged, whatever its layer.
				a.lost++
				layer = temporalLayer{}
			}
		}
		arrival = s.arrival
		a.clear(s)
		if seq == end {
			break
		}
	}
	// A fragment never spans a marker: whatever the depacketizer still
	// holds (an unfinished H.264 FU-A, AV1 OBU) is a broken sender's, and
	// would otherwise grow for the rest of the session.
	a.dep = a.newDepacketizer()
	a.next, a.atStart, a.consumed = end+1, true, true
	switch {
	case !media: // a run of padding only leaves the last frame's picture ID
	case !known:
		a.pic = pictureID{}
	case ref:
		pic.idr, pic.sps = false, false
		a.pic = pic
	} // a picture that is no reference leaves the last reference's frame_num
	lost := a.lost
	a.lost = 0
	if len(a.buf) > 0 {
		emit(assembled{data: a.buf, lost: lost, arrival: arrival, layer: layer})
	} else {
		a.lost = lost // an empty frame (padding only): report the loss with the next one
	}
}

// ignoredPayload reports whether a payload the depacketizer refuses holds
// nothing a receiver is to decode: an H.264 NAL unit of a type RFC 6184
// (5.2) has receivers ignore (0, 30, 31).
func ignoredPayload(dep rtp.Depacketizer, payload []byte) bool {
	if _, h264 := dep.(*codecs.H264Packet); h264 && len(payload) > 0 {
		t := payload[0] & 0x1f
		return t == 0 || t >= 30
	}
	return false
}
