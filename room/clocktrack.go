package room

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// mtu is the size of the RTP packets we send, the one pion's sample tracks
// use (outboundMTU in pion/webrtc's constants.go).
const mtu = 1200

// clockTrack is an outgoing track whose RTP timestamps are the room clock:
// a frame with PTS t is stamped base + t in the track's clock rate, whatever
// frames came before it. pion's TrackLocalStaticSample instead stamps a
// sample with the sum of the durations written before it, so a frame that
// follows a gap (a tick skipped when late, a picture the encoder dropped)
// would carry the timestamp it had without the gap.
//
// It is a TrackLocalStaticRTP, so it binds to any number of
// PeerConnections; each binding gets its own SSRC and payload type when a
// packet is written, and its own sequence numbers (see Bind). Sequence
// numbers run on across gaps: a gap in time is no lost packet and must not
// look like one to NACK.
//
// WriteFrame is called from one goroutine at a time.
type clockTrack struct {
	*webrtc.TrackLocalStaticRTP
	payloader rtp.Payloader
	rate      uint32        // RTP clock rate, per second
	base      uint32        // the RTP timestamp of PTS 0, random
	mark      bool          // the marker on a frame's last packet (video; audio sends no talkspurts)
	seq       atomic.Uint32 // the last sequence number sent (16 bits); Bind reads it
	// sent, if set before the first Bind, is told the payload bytes of
	// every packet a receiver was sent (pion binds a receiver when the
	// answer is made, but sends only once its connection is up).
	// Retransmissions are not counted.
	sent func(n int)
	// formats, if set, is which of a receiver's negotiated formats the
	// track may be sent in: pion binds the track to the first of the
	// track's MIME type when none matches its parameters exactly.
	formats func(webrtc.RTPCodecParameters) bool

	// writers are the bindings' writers by binding id, cut from their
	// receiver's stream at Unbind: pion's Unbind shortens its list of
	// bindings without clearing the place the last one held, so a
	// receiver gone would otherwise stay reachable through its writer
	// (its sender, transport, ICE agent, NACK buffers: some 180 KiB a
	// viewer) until another receiver binds there or the room closes.
	writersMu sync.Mutex
	writers   map[string]*offsetWriter
	// halves are the receivers that may be sent every second frame, by
	// the SSRC of their binding (halfRate): the flag is theirs to set.
	halves map[uint32]*atomic.Bool

	// frames counts the frames WriteFrame has begun, and droppable tells
	// whether the one it is writing may be left out (a VP8 frame no later
	// one refers to): a writer tells one frame's packets from the next's
	// by the count.
	frames    atomic.Uint64
	droppable atomic.Bool
}

// halfRate returns the flag that, while set, has the receiver bound with
// ssrc sent only the frames that are not droppable: every second frame,
// while the encoder makes such frames (codec.VP8Encoder.SetTwoLayers). It
// must be asked for before the receiver is bound (its answer made), and
// it is dropped at Unbind.
func (t *clockTrack) halfRate(ssrc uint32) *atomic.Bool {
	t.writersMu.Lock()
	defer t.writersMu.Unlock()
	if t.halves == nil {
		t.halves = map[uint32]*atomic.Bool{}
	}
	f := t.halves[ssrc]
	if f == nil {
		f = new(atomic.Bool)
		t.halves[ssrc] = f
	}
	return f
}

// rtpAt is the track's RTP time at wall time at, a moment ago (a sender
// report's), from the room clock whose PTS 0 was at e (mixer.Mixer.Epoch):
// the timestamp a frame of the room as it was at that moment carries. ok
// is false for a moment before e.
func (t *clockTrack) rtpAt(e, at time.Time) (ts uint32, ok bool) {
	// The room clock runs on the monotonic clock: the time since its
	// epoch is the monotonic time to now less the wall time from at to
	// now (microseconds), so that a step of the wall clock since the room
	// started moves no timestamp.
	now := time.Now()
	d := now.Sub(e) - now.Round(0).Sub(at)
	if d < 0 {
		return 0, false
	}
	return t.base + rtpTime(d, t.rate), true
}

// Bind adds a receiver whose sequence numbers start at a random number
// below 2^15, as pion's own tracks do for the same reason: a receiver's
// SRTP guesses its rollover counter from the first packet it gets, and one
// that joined just before the numbers wrap and lost its first packets
// would guess wrong and reject every packet after. One numbering shared by
// all, as the RTP track has, starts anywhere for everyone but the first.
func (t *clockTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	// About the first: WriteFrame may move the shared number meanwhile.
	first := uint16(rand.IntN(1<<15 - 1))
	return t.TrackLocalStaticRTP.Bind(offsetBinding{ctx, rewrite{off: first - uint16(t.seq.Load()+1), sent: t.sent}, t.formats, t})
}

// forgetHalfRate drops the flag of a receiver that was never bound (its
// join failed); Unbind drops that of one that was.
func (t *clockTrack) forgetHalfRate(ssrc uint32) {
	t.writersMu.Lock()
	delete(t.halves, ssrc)
	t.writersMu.Unlock()
}

// Unbind removes a receiver and cuts its writer from its stream (see
// writers).
func (t *clockTrack) Unbind(ctx webrtc.TrackLocalContext) error {
	err := t.TrackLocalStaticRTP.Unbind(ctx)
	t.writersMu.Lock()
	if w := t.writers[ctx.ID()]; w != nil {
		w.w.Store(nil)
		delete(t.writers, ctx.ID())
	}
	delete(t.halves, uint32(ctx.SSRC()))
	t.writersMu.Unlock()
	return err
}

// rewrite is what a receiver's writer does to the track's packets.
type rewrite struct {
	off  uint16    // added to the sequence numbers
	sent func(int) // told each payload sent; may be nil
}

// offsetBinding is a receiver whose packets are the track's, rewritten,
// in one of the formats formats takes (all when nil).
type offsetBinding struct {
	webrtc.TrackLocalContext
	rewrite
	formats func(webrtc.RTPCodecParameters) bool
	track   *clockTrack // notes the writer made (nil: not noted)
}

// CodecParameters are the receiver's negotiated formats that formats
// takes, or all of them if it takes none (pion then refuses the binding
// or takes one as it would).
func (b offsetBinding) CodecParameters() []webrtc.RTPCodecParameters {
	all := b.TrackLocalContext.CodecParameters()
	if b.formats == nil {
		return all
	}
	var some []webrtc.RTPCodecParameters
	for _, c := range all {
		if b.formats(c) {
			some = append(some, c)
		}
	}
	if len(some) == 0 {
		return all
	}
	return some
}

// WriteStream is the receiver's writer; pion asks for it once the binding
// is made.
func (b offsetBinding) WriteStream() webrtc.TrackLocalWriter {
	w := &offsetWriter{rewrite: b.rewrite}
	inner := b.TrackLocalContext.WriteStream()
	w.w.Store(&inner)
	if t := b.track; t != nil {
		t.writersMu.Lock()
		if t.writers == nil {
			t.writers = map[string]*offsetWriter{}
		}
		t.writers[b.ID()] = w
		if h := t.halves[uint32(b.SSRC())]; h != nil {
			w.half, w.track = h, t
		}
		t.writersMu.Unlock()
	}
	return w
}

type offsetWriter struct {
	w atomic.Pointer[webrtc.TrackLocalWriter] // nil once unbound
	rewrite

	// A receiver that may be sent every second frame (halfRate): its
	// flag, the track whose frames it reads, and, from WriteRTP alone
	// (WriteFrame's goroutine), the frame the last packet was of, whether
	// that frame is being left out, and how far the picture IDs are
	// moved back by the frames left out so far. The sequence numbers are
	// moved back by their packets (off), so that neither shows a gap: a
	// receiver takes a missing picture ID for a lost frame and waits for
	// it, and a missing sequence number for a lost packet to ask again.
	half     *atomic.Bool
	track    *clockTrack
	frame    uint64
	dropping bool
	picOff   uint16
}

// WriteRTP writes h with the receiver's sequence number. The RTP track
// hands every receiver the same header in turn, so it is put back after.
func (w *offsetWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	inner := w.w.Load()
	if inner == nil {
		return 0, io.ErrClosedPipe
	}
	if w.half != nil {
		if f := w.track.frames.Load(); f != w.frame {
			w.frame = f
			// A frame is left out whole or sent whole: the choice is made
			// at its first packet.
			w.dropping = w.half.Load() && w.track.droppable.Load()
			if w.dropping {
				w.picOff--
			}
		}
		if w.dropping {
			w.off--
			return 0, nil
		}
		if w.picOff != 0 && len(payload) >= vp8DescriptorSize {
			// A copy of its own: the NACK responder keeps the payload it
			// is given, uncopied, to send it again (configureNack).
			payload = slices.Clone(payload)
			renumberPicture(payload, w.picOff)
		}
	}
	h.SequenceNumber += w.off
	n, err := (*inner).WriteRTP(h, payload)
	h.SequenceNumber -= w.off
	if n > 0 && err == nil && w.sent != nil { // pion writes (0, nil) until the receiver's SRTP is up
		w.sent(len(payload))
	}
	return n, err
}

// Write writes a marshalled packet with the receiver's sequence number
// (the RTP track itself only calls WriteRTP).
func (w *offsetWriter) Write(b []byte) (int, error) {
	inner := w.w.Load()
	if inner == nil {
		return 0, io.ErrClosedPipe
	}
	if len(b) < 4 {
		return (*inner).Write(b)
	}
	own := slices.Clone(b)
	binary.BigEndian.PutUint16(own[2:], binary.BigEndian.Uint16(b[2:])+w.off)
	return (*inner).Write(own)
}

// newVideoTrack makes the room's composite: VP8 at 90 kHz.
func newVideoTrack(id, streamID string) (*clockTrack, error) {
	c := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	t, err := webrtc.NewTrackLocalStaticRTP(c, id, streamID)
	if err != nil {
		return nil, err
	}
	return &clockTrack{
		TrackLocalStaticRTP: t,
		payloader:           newVP8Payloader(),
		rate:                c.ClockRate,
		base:                rand.Uint32(),
		mark:                true,
	}, nil
}

// h264Codec is what the H.264 mix is said to be: constrained baseline,
// level 3.1 (1280x720 at 30 fps), packetization mode 1. A receiver's own
// H.264 format (payload type, profile) is taken at Bind.
var h264Codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
	SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}

// newH264Track makes the room's composite in H.264, for the receivers that
// take no VP8.
func newH264Track(id, streamID string) (*clockTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(h264Codec, id, streamID)
	if err != nil {
		return nil, err
	}
	return &clockTrack{
		TrackLocalStaticRTP: t,
		payloader:           &codecs.H264Payloader{},
		rate:                h264Codec.ClockRate,
		base:                rand.Uint32(),
		mark:                true,
		// Where the offer has the mix's format exactly (42e01f, mode 1),
		// pion takes it; otherwise the first H.264 format left here, one
		// mixCodec counted: never a packetization mode 0 one, which
		// cannot carry the mix's fragments.
		formats: func(c webrtc.RTPCodecParameters) bool {
			_, ok := h264Sendable(c.SDPFmtpLine)
			return strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) && ok
		},
	}, nil
}

// newAudioTrack makes the room's full mix: Opus at 48 kHz, one packet a
// frame.
func newAudioTrack(id, streamID string) (*clockTrack, error) {
	t, err := webrtc.NewTrackLocalStaticRTP(audioCodec.RTPCodecCapability, id, streamID)
	if err != nil {
		return nil, err
	}
	return &clockTrack{
		TrackLocalStaticRTP: t,
		payloader:           &codecs.OpusPayloader{},
		rate:                audioCodec.ClockRate,
		base:                rand.Uint32(),
	}, nil
}

// WriteFrame packetizes f and writes it to every binding, stamped with its
// PTS. It returns the first write error; the other bindings are written
// anyway.
func (t *clockTrack) WriteFrame(f codec.EncodedFrame) error {
	if vp8, ok := t.payloader.(*vp8Payloader); ok {
		vp8.droppable = f.Droppable
	}
	payloads := t.payloader.Payload(mtu-12, f.Data) // 12: the RTP header
	t.droppable.Store(f.Droppable)
	t.frames.Add(1)
	ts := t.base + rtpTime(f.PTS, t.rate)
	var first error
	for i, pl := range payloads {
		seq := uint16(t.seq.Add(1))
		p := rtp.Packet{
			Header: rtp.Header{Version: 2, Marker: t.mark && i == len(payloads)-1, SequenceNumber: seq, Timestamp: ts},
			// WriteRTP copies the packet before setting each binding's SSRC
			// and payload type, so p stays on the stack.
			Payload: pl,
		}
		if err := t.WriteRTP(&p); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// rtpTime is d (≥ 0) in units of rate per second, rounded to the nearest
// unit: the mixer's PTS are truncated to the nanosecond (frame 1 at 30 fps
// is 33.333333 ms), and frame 1 must be 3000 at 90 kHz, not 2999. It
// wraps as RTP time does and does not overflow however long a room lasts.
func rtpTime(d time.Duration, rate uint32) uint32 {
	s, ns := int64(d/time.Second), int64(d%time.Second)
	return uint32(s*int64(rate) + (ns*int64(rate)+int64(time.Second)/2)/int64(time.Second))
}

// newMixMinusTrack makes a participant's mix-minus: the full mix's kind
// of track, with the one receiver, counting what it is sent.
func newMixMinusTrack(room string, sent func(int)) (*clockTrack, error) {
	t, err := newAudioTrack("audio", "mcu-"+room)
	if err != nil {
		return nil, fmt.Errorf("room: mix-minus track: %w", err)
	}
	t.sent = sent
	return t, nil
}
