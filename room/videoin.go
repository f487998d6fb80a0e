package room

import (
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
	"mcu/internal/sched"
)

// videoIn decodes a participant's video in the codec its packets are in
// now. pion's TrackRemote follows the payload type of the packets it reads,
// so a sender may switch codec mid-call (a renegotiation, or a browser
// changing its preferred codec when VP8 and H.264 were both negotiated):
// the packets of the new codec then get a frame assembler (depacketizer)
// and a decoder of their own, and the sender is asked for a keyframe, which
// the new decoder waits for. Packets of a codec mcu does not decode are
// skipped until the sender switches to one it does. Use from one
// goroutine (the decoding loop of readVideoPackets); close frees the
// decoder.
type videoIn struct {
	// mimeType tells the codec of the packet being pushed (the track's
	// Codec().MimeType when the packet was read). It is asked only when
	// the payload type changes.
	mimeType func() string
	// keyframe asks the sender for a keyframe (rate-limited by the caller).
	keyframe func()
	// pictures takes what dec produced from a frame whose last packet
	// arrived at arrival.
	pictures func(dec *codec.VideoDecoder, arrival time.Time)
	// stream is what the API shows: the codec after a switch (nil while it
	// is not one mcu decodes); pictures adds the size.
	stream *atomic.Pointer[StreamInfo]
	log    *slog.Logger
	// cpu, when set, is told the CPU time each frame took to decode and
	// scale (not the depacketizing, nor asking for keyframes).
	cpu func(time.Duration)
	// behind, when set, is told of each frame dropped for waiting over
	// maxDecodeLag: a strain of the server's.
	behind func()

	pt       uint8               // payload type of the packets the state below is for
	switched time.Time           // when a packet last changed the codec
	started  bool                // a packet was pushed, so newest is set
	newest   uint16              // newest sequence number pushed
	newestTS uint32              // and its RTP time
	lateRun  int                 // packets in a row of another payload type, older and not recent (see push)
	dec      *codec.VideoDecoder // nil, as frames, while the codec is not decoded
	frames   *frameAssembler
	corrupt  int           // damaged frames since the start, for rate-limited warnings
	profile  int           // frames beyond the negotiated profile, not decoded
	beyond   bool          // the stream is beyond it, up to a keyframe that is not
	failed   error         // the decoder cannot go on
	pace     pace          // frames decoded, as their decodeCost, against the clock
	paced    int           // frames dropped for coming too fast
	waited   time.Duration // how long the packet pushed last waited for the decoder: late past maxDecodeLag
	lagged   int           // frames dropped for waiting so
	shed     int           // frames above a sender's base temporal layer dropped for it
	badKeys  int           // keyframes in a row the decoder refused
	nextAsk  time.Time     // while badKeys > 0, no keyframe is asked for before then
	// fmtp gives the SDP's format parameters of the codec of the packet
	// being pushed (may be nil); h264 the parameter sets an H.264 stream
	// gave, there and in-band, for IDR pictures that come without them.
	fmtp func() string
	h264 codec.H264ParamSets
	// inband: the last H.264 IDR picture decoded came with its own SPS
	// (a sender that sends its parameter sets with each keyframe).
	inband bool
	// layers follows a VP8 sender's temporal layers, so that a loss above
	// the base layer costs no keyframe.
	layers temporalLayers
}

// keyframeBackoff is how long keyframe requests wait after the sender's
// keyframes have failed to decode badKeys times in a row: 1 s, doubling,
// up to maxKeyframeBackoff. Its next keyframe is likely the same (a
// picture larger than the decoder takes): asked for every 500 ms, a
// sender would send nothing but keyframes.
func keyframeBackoff(badKeys int) time.Duration {
	return min(time.Second<<min(badKeys-1, 5), maxKeyframeBackoff)
}

const maxKeyframeBackoff = 30 * time.Second

// ask asks the sender for a keyframe, unless its last keyframes failed
// and the backoff has not passed.
func (v *videoIn) ask() {
	if v.badKeys > 0 {
		now := time.Now()
		if now.Before(v.nextAsk) {
			return
		}
		v.nextAsk = now.Add(keyframeBackoff(v.badKeys))
	}
	v.keyframe()
}

// A participant's frames are decoded at most at maxFrameRate, and their
// pixels at maxPixelRate (4K at 30 fps), over frameLead: a burst after a
// stall passes, while a sender of tiny frames a thousand times a second
// (each decoded, then scaled into its tile), or of 4K frames that cost a
// few bytes each (every block skipped, but each picture copied and
// scaled), gets the decoding of a fast camera or of a 4K screen. A frame
// dropped for it is followed by a keyframe request, as a lost one is.
const (
	maxFrameRate = 120
	maxPixelRate = 3840 * 2160 * 30
	frameLead    = 2 * time.Second
)

// maxDecodeLag is the longest a packet may wait in the reader's queue
// for the decoder and the frames it completes still be decoded. A decoder
// that falls further behind (a server out of CPU, its decoders the first
// to wait) drops what waits, and goes on at the sender's next keyframe,
// asked for, rather than showing its participant later and later. A burst
// after a short stall is decoded: a picture half a second late is already
// far out of step with its sound. The wait is seen in the queue only
// (videoQueue packets: over half a second of video for a tile of a
// quarter of the canvas or less, a quarter at the highest REMB ceiling);
// a sender far above them (several packets a frame) fills it with a few
// frames, and what waits beyond it waits in pion's buffer, unseen, until
// the buffer overflows and the loss makes the decoder wait for a keyframe.
const maxDecodeLag = 500 * time.Millisecond

// maxLayeredLag is maxDecodeLag for a VP8 sender with temporal layers,
// whose frames above the base layer are dropped while it waits longer
// than maxDecodeLag, and whose base-layer frames are decoded up to this
// wait: a decoder that still falls further behind drops what waits, as
// for any sender.
const maxLayeredLag = 2 * maxDecodeLag

// decodeCost is what frames (those of a VP9 superframe, or one) of
// pixels each count against the pace: a frame each at maxFrameRate, or,
// if more, their pixels at maxPixelRate.
func decodeCost(pixels, frames int) time.Duration {
	return max(time.Duration(frames)*time.Second/maxFrameRate, time.Duration(int64(pixels)*int64(frames)*int64(time.Second)/maxPixelRate))
}

// start sets up the state for packets of payload type pt in the codec of
// MIME type mime, closing the previous decoder. It reports whether the
// codec is one mcu decodes.
func (v *videoIn) start(pt uint8, mime string) bool {
	v.pt, v.lateRun, v.layers = pt, 0, temporalLayers{}
	v.close()
	vc, err := codec.ParseVideoCodec(mime)
	if err != nil {
		v.log.Warn("unsupported video codec, its packets are skipped", "codec", mime, "payload_type", pt)
		v.stream.Store(nil)
		return false
	}
	dec, err := codec.NewVideoDecoder(vc)
	if err != nil {
		v.log.Error("video decoder, its packets are skipped", "codec", vc, "err", err)
		v.stream.Store(nil)
		return false
	}
	v.dec, v.frames, v.beyond, v.inband = dec, newFrameAssembler(depacketizer(vc)), false, false
	v.h264.Reset()
	if vc == codec.H264 && v.fmtp != nil {
		v.h264.SetFromFmtp(v.fmtp())
	}
	v.stream.Store(&StreamInfo{VideoCodec: vc.String()})
	return true
}

// restart starts afresh for packets of pt, of codec mime, as if none had
// come before (a simulcast stream that becomes the one decoded), and asks
// for a keyframe if ask (a stream that takes the place at its keyframe
// needs none). It reports whether a decoder started.
func (v *videoIn) restart(pt uint8, mime string, ask bool) bool {
	v.started = false
	v.badKeys, v.nextAsk = 0, time.Time{} // its keyframes may well decode now
	if !v.start(pt, mime) {
		return false
	}
	if ask {
		v.keyframe()
	}
	return true
}

// unfit reports whether the sender's keyframes do not decode, or its
// stream is beyond the profile: no picture is to be had from it for now.
func (v *videoIn) unfit() bool { return v.badKeys > 0 || v.beyond }

// codecSwitchGap is the least time between two codec changes: a change
// opens a decoder, and a sender alternating payload types must not make
// the server do that for every packet.
const codecSwitchGap = time.Second

// maxReorder is the most pictures a live decoder may hold back to give
// them out in display order. WebRTC senders use no B-frames (0); x264,
// NVENC and VideoToolbox with B-frames hold one or two. A variable for
// the tests.
var maxReorder = 4

// switchTo follows the sender to payload type pt, of codec mime, at now,
// and reports whether the packet is to be taken. Another payload type of
// the same codec (another H.264 profile) keeps the decoder, which follows
// a new SPS in-band; a new codec starts over and asks for a keyframe,
// unless the codec changed less than codecSwitchGap ago: then the packet
// is dropped.
func (v *videoIn) switchTo(pt uint8, mime string, now time.Time) bool {
	if vc, err := codec.ParseVideoCodec(mime); err == nil && v.dec != nil && vc == v.dec.Codec() {
		v.pt = pt
		if vc == codec.H264 && v.fmtp != nil {
			v.h264.SetFromFmtp(v.fmtp()) // this payload type's sets, if its SDP gives some
		}
		return true
	}
	if now.Sub(v.switched) < codecSwitchGap { // never at the first change: switched is zero
		return false
	}
	v.switched = now
	if v.start(pt, mime) {
		v.log.Info("video codec changed", "codec", v.dec.Codec(), "payload_type", pt)
		v.badKeys, v.nextAsk = 0, time.Time{} // another codec: its keyframes may well decode
		v.keyframe()
	}
	return true
}

// depacketizer returns the RTP depacketizer maker of a codec mcu decodes.
func depacketizer(vc codec.VideoCodec) func() rtp.Depacketizer {
	switch vc {
	case codec.VP9:
		return func() rtp.Depacketizer { return &codecs.VP9Packet{} }
	case codec.H264:
		return func() rtp.Depacketizer { return &codecs.H264Packet{} }
	case codec.AV1:
		return func() rtp.Depacketizer { return &av1Depacketizer{} }
	}
	return func() rtp.Depacketizer { return &codecs.VP8Packet{} }
}

// push takes an RTP packet that arrived at now and then waited for the
// decoder in the reader's queue (raw is not kept), decodes the frames it
// completes (drops them if it waited over maxDecodeLag) and returns the
// size of its payload (0 for a packet skipped or that does not parse). An
// error means the decoder cannot go on.
//
// A packet of another payload type is the sender switching codec, unless
// it is older than the newest packet (within the assembler's reach): then
// it is a late one (reordered, or a retransmission) of the codec before,
// and is dropped, so the switch does not flip back and forth. As the frame
// assembler does with late packets (frameAssembler.push), maxLate of them
// in a row that are not of the stream's recent time (retransmissions are)
// are a sender that switched codec and restarted its numbering a little
// lower: it is followed, not dropped until its numbers catch up.
func (v *videoIn) push(raw []byte, now time.Time, waited time.Duration) (int, error) {
	v.waited = waited
	if len(raw) >= 8 {
		pt, seq := raw[1]&0x7f, uint16(raw[2])<<8|uint16(raw[3])
		ts := uint32(raw[4])<<24 | uint32(raw[5])<<16 | uint32(raw[6])<<8 | uint32(raw[7])
		d := distance(v.newest, seq)
		if pt != v.pt {
			if v.started && d < 0 && d > -assemblerSlots {
				if recentRTPTime(v.newestTS, ts) {
					return 0, nil // a retransmission of the codec before
				}
				if v.lateRun++; v.lateRun < maxLate {
					return 0, nil
				}
			}
			if !v.switchTo(pt, v.mimeType(), now) {
				return 0, nil
			}
			v.started = v.started && d > 0 // the new codec's numbering starts here
		} else {
			v.lateRun = 0
		}
		if !v.started || d > 0 {
			v.started, v.newest, v.newestTS = true, seq, ts
		}
	}
	if v.frames == nil {
		return 0, nil
	}
	size, err := v.frames.push(raw, now, v.decode)
	if err != nil {
		size = 0 // a packet that does not parse is skipped
	}
	if v.frames != nil && v.frames.outgrown > 0 {
		// A frame larger than the assembler holds (a keyframe at a
		// bitrate far above what the server asks for) is never rebuilt,
		// and the sender's next keyframe is likely as large: keyframes
		// are asked for less often, as when they do not decode.
		v.frames.outgrown = 0
		if v.badKeys++; v.badKeys == 1 || v.badKeys%100 == 0 {
			v.log.Warn("the sender's frames are larger than the server rebuilds; keyframes asked for less often",
				"count", v.badKeys, "max_packets", assemblerSlots-1)
		}
	}
	return size, v.failed
}

// deadline is when the frame assembler gives up a missing packet (see
// frameAssembler.deadline); zero when nothing is missing.
func (v *videoIn) deadline() time.Time {
	if v.frames == nil {
		return time.Time{}
	}
	return v.frames.deadline()
}

// expire gives up what has been waited for long enough at now, when no
// packet came to do it, and decodes the frames behind it. An error means
// the decoder cannot go on. Packets given up with no frame behind them yet
// (the last frame before the sender paused: a screen share sends a frame a
// second) cost a keyframe, asked for now rather than when the next frame
// comes and is refused.
func (v *videoIn) expire(now time.Time) error {
	if v.frames == nil {
		return v.failed
	}
	v.frames.drain(now, v.decode)
	// (Of a sender's temporal layers, the next frame tells whether the
	// loss broke the base layer: asked for then, if it did.)
	if v.frames.lost > 0 && v.failed == nil && !v.dec.NeedsKeyframe() && !v.layers.known {
		v.dec.WaitKeyframe()
		v.ask()
	}
	return v.failed
}

// decode sends one frame to the decoder and hands on the pictures. On loss
// or a decoding error the decoder drops to the next keyframe, which is
// asked for.
func (v *videoIn) decode(f assembled) {
	if v.failed != nil {
		return
	}
	c := v.dec.Codec()
	lost := f.lost > 0
	if c == codec.VP8 {
		switch v.layers.admit(f.layer, lost, codec.IsKeyframe(c, f.data), v.dec.NeedsKeyframe()) {
		case layerSkip:
			return
		case layerDecode:
			if lost {
				v.log.Debug("video loss above the base layer, upper layers wait for their next sync frame", "packets", f.lost)
			}
			lost = false
		case layerAfterLoss:
			if !lost {
				v.log.Debug("frames above the base temporal layer skipped waiting for a sync frame too long")
			}
			lost = true
		}
	}
	if lost {
		v.log.Debug("video loss", "packets", f.lost)
		v.dec.WaitKeyframe()
		if c == codec.H264 && v.inband && codec.IsKeyframe(c, f.data) && !codec.H264HasSPS(f.data) {
			// An IDR picture right after a loss, without the SPS that
			// the sender's keyframes come with: the packets lost may have
			// held its own parameter sets (a new size, under the same
			// ids), and decoded with those kept from before its slices
			// are read for another picture, damaged with no error, and
			// every picture after it too. Its next keyframe is asked for.
			v.h264.Complete(f.data) // a PPS of its own, if any
			v.ask()
			return
		}
	}
	late := v.waited > maxDecodeLag
	if late && c == codec.VP8 && f.layer.ok && v.layers.known && !v.dec.NeedsKeyframe() && v.waited <= maxLayeredLag {
		// A sender with temporal layers sheds its upper layers instead:
		// the decoder catches up on the base layer's frames alone (a
		// quarter or half of them), which it decodes late, and each
		// upper layer comes back at its next sync frame; no keyframe
		// (a large frame to decode, on a server short of CPU).
		if f.layer.tid > 0 {
			v.layers.shed(f.layer)
			if v.behind != nil {
				v.behind()
			}
			if v.shed++; v.shed == 1 || v.shed%1000 == 0 {
				v.log.Warn("video decoding fell behind, frames above the sender's base temporal layer dropped", "count", v.shed, "max_wait", maxDecodeLag)
			}
			return
		}
	} else if late {
		if c == codec.H264 {
			v.h264.Complete(f.data) // its parameter sets, kept for the keyframe that decodes
			if !codec.H264HasSlice(f.data) {
				return // no picture
			}
		}
		if v.behind != nil {
			v.behind()
		}
		if v.lagged++; v.lagged == 1 || v.lagged%1000 == 0 {
			v.log.Warn("video decoding fell behind, frames dropped up to a keyframe", "count", v.lagged, "max_wait", maxDecodeLag)
		}
		v.dec.WaitKeyframe()
		v.ask()
		return
	}
	if v.pace.ahead(f.arrival, frameLead) {
		if v.paced++; v.paced == 1 || v.paced%1000 == 0 {
			v.log.Warn("video faster than the server decodes, frames dropped", "count", v.paced, "max_fps", maxFrameRate)
		}
		v.dec.WaitKeyframe()
		v.ask()
		return
	}
	// Each frame counts at once, and its pixels once decoded (below).
	frames := codec.Frames(c, f.data)
	base := decodeCost(0, frames)
	v.pace.add(base)
	fits := codec.FitsLiveProfile(c, f.data)
	if fits && c == codec.H264 && !codec.H264HasSlice(f.data) {
		// Parameter sets, SEI or a delimiter in a frame of their own (a
		// sender that writes one NAL unit at a time): kept for the
		// keyframes that need them, also while the stream is beyond the
		// profile (a keyframe that fits may come with them). FFmpeg would
		// take them for a broken picture, and a keyframe would be asked
		// for at each keyframe.
		v.h264.Complete(f.data)
		return
	}
	if !fits || v.beyond && !v.fitsAgain(f.data) {
		// Not decoded (see FitsLiveProfile): its decoder could hold
		// hundreds of megabytes. Nor is what follows, up to a keyframe
		// that fits (H.264 and AV1 say their profile in keyframes only),
		// and no keyframe is asked for: the sender's next one would be the
		// same. The decoder starts afresh, its parameter sets forgotten.
		v.goBeyond()
		if v.profile++; v.profile == 1 || v.profile%1000 == 0 {
			v.log.Warn("video beyond the negotiated profile (8-bit 4:2:0), not decoded", "count", v.profile)
		}
		return
	}
	v.beyond = false
	var span sched.CPUSpan
	if v.cpu != nil {
		span = sched.StartCPU()
	}
	data := f.data
	if c == codec.H264 {
		data = v.h264.Complete(data)
	}
	before := v.dec.Pixels()
	err := v.dec.Send(data, codec.NoPTS)
	if err == nil && c == codec.H264 && codec.IsKeyframe(c, f.data) {
		v.inband = codec.H264HasSPS(f.data)
	}
	if err == nil {
		v.pictures(v.dec, f.arrival)
	}
	// The pixels: the size before or after the frame, the larger (a
	// stream may change size at any frame; a decoder started afresh
	// knows none).
	v.pace.add(decodeCost(max(before, v.dec.Pixels()), frames) - base)
	if v.cpu != nil {
		v.cpu(span.End())
	}
	v.decoded(c, f.data, err)
}

// decoded takes the outcome err of decoding frame, of codec c: a stream
// that reorders too deeply goes beyond the profile; a keyframe that
// decodes ends the backoff of keyframe requests, one that does not
// lengthens it; a frame refused or damaged asks for a keyframe; any other
// error is the decoder's end.
func (v *videoIn) decoded(c codec.VideoCodec, frame []byte, err error) {
	switch {
	case err == nil && c == codec.H264 && v.dec.Delay() > maxReorder:
		// FFmpeg's H.264 decoder holds back as many pictures as the SPS
		// or the pictures' order asks (up to 16: ~200 MB at 4K), and each
		// shows that many frames late. The stream is taken as beyond the
		// profile: the decoder starts afresh, with none held, and the
		// next keyframe that fits is tried again.
		if v.profile++; v.profile == 1 || v.profile%1000 == 0 {
			v.log.Warn("video holds back more pictures to reorder them than the server does (B-frames), not decoded",
				"count", v.profile, "pictures", v.dec.Delay(), "max", maxReorder)
		}
		v.goBeyond()
	case err == nil:
		if v.badKeys > 0 && codec.StartsDecoding(c, frame) {
			v.badKeys, v.nextAsk = 0, time.Time{} // decodes again
		}
	case errors.Is(err, codec.ErrNeedKeyframe):
		v.log.Debug("waiting for a keyframe", "bytes", len(frame))
		v.ask()
	case errors.Is(err, codec.ErrCorrupt):
		if v.corrupt++; v.corrupt == 1 || v.corrupt%100 == 0 {
			v.log.Warn("damaged video, waiting for a keyframe", "count", v.corrupt, "err", err)
		}
		if codec.StartsDecoding(c, frame) {
			if v.badKeys++; v.badKeys == 1 || v.badKeys%100 == 0 {
				v.log.Warn("the sender's keyframes do not decode (a picture larger than 3840x2160?); keyframes asked for less often", "count", v.badKeys)
			}
		}
		v.ask()
	default: // another error: the decoder is broken
		v.failed = err
	}
}

// goBeyond stops decoding the stream, up to a keyframe that fits
// (fitsAgain): the decoder starts afresh at the next Send, whatever Flush
// says (an error from data it still held), its parameter sets forgotten.
func (v *videoIn) goBeyond() {
	if v.beyond {
		return
	}
	v.beyond = true
	v.h264.Reset() // its keyframes that fit say their own
	if err := v.dec.Flush(); err != nil {
		v.log.Debug("video decoder flush", "err", err)
	}
}

// fitsAgain reports whether frame, which fits the profile, takes a stream
// that went beyond it back: a keyframe, and for H.264 one whose SPS is
// known to fit (its own, or one kept since the stream went beyond; those
// from before were forgotten).
func (v *videoIn) fitsAgain(frame []byte) bool {
	c := v.dec.Codec()
	if !codec.StartsDecoding(c, frame) {
		return false
	}
	return c != codec.H264 || v.h264.HasSPS() || codec.H264HasSPS(frame)
}

// close frees the decoder and forgets the codec. It is safe to call more
// than once.
func (v *videoIn) close() {
	if v.dec != nil {
		v.dec.Close()
	}
	v.dec, v.frames = nil, nil
}
