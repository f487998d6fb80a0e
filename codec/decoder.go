//go:build cgo

package codec

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/asticode/go-astiav"
)

// maxDecodeErrors is how many consecutive errors make the decoder start over
// with a fresh FFmpeg context (v0.16.0 has no avcodec_flush_buffers).
const maxDecodeErrors = 3

// VideoDecoder decodes one participant's video: whole compressed frames in
// (as they come out of an RTP depacketizer or a demuxer), Go frames out.
// After an error, or when told of a gap with [VideoDecoder.WaitKeyframe], it
// drops frames until the next keyframe. Use from one goroutine; Close frees
// the FFmpeg objects.
type VideoDecoder struct {
	codec   VideoCodec
	cc      *astiav.CodecContext
	pkt     *astiav.Packet
	frame   *astiav.Frame
	conv    frameConverter
	needKey bool
	hide    int  // pictures still to hold back after a start at a recovery point
	flushed bool // the stream ended: the next Send starts a new one
	// sawIDR: this FFmpeg context has decoded an IDR picture. Until it
	// has, FFmpeg holds back the pictures before a recovery point's
	// refresh is done itself.
	sawIDR bool
	errs   int
	// preroll holds the times of frames sent as pre-roll whose pictures
	// are still to come out, to be held back: FFmpeg drops them itself in
	// its own decoders, not in libdav1d (AV1), which gives them out.
	preroll []time.Duration
}

// maxPreroll bounds the pre-roll times kept: they go as their pictures
// come out, so they number about the decoder's delay, and a decoder that
// gives none out for longer is not one to hold back after.
const maxPreroll = 600

// NewVideoDecoder opens a decoder for c.
func NewVideoDecoder(c VideoCodec) (*VideoDecoder, error) {
	d := &VideoDecoder{codec: c, needKey: true}
	if err := d.open(); err != nil {
		return nil, err
	}
	d.pkt = astiav.AllocPacket()
	d.frame = astiav.AllocFrame()
	if d.pkt == nil || d.frame == nil {
		d.Close()
		return nil, errors.New("codec: allocate decoder packet/frame")
	}
	return d, nil
}

func (d *VideoDecoder) open() error {
	id, ok := ffmpegIDs[d.codec]
	if !ok {
		return fmt.Errorf("codec: no decoder for %v", d.codec)
	}
	dec := astiav.FindDecoder(id)
	if d.codec == AV1 {
		// FFmpeg 5.1's own AV1 decoder only drives hardware; dav1d is the
		// software one.
		dec = astiav.FindDecoderByName("libdav1d")
	}
	if dec == nil {
		return fmt.Errorf("codec: FFmpeg has no %v decoder", d.codec)
	}
	cc := astiav.AllocCodecContext(dec)
	if cc == nil {
		return fmt.Errorf("codec: allocate %v decoder", d.codec)
	}
	// Parallelism comes from decoding every participant in its own
	// goroutine; frame threads would only add latency.
	cc.SetThreadCount(1)
	cc.SetTimeBase(astiav.NewRational(1, int(time.Second))) // pts in nanoseconds
	// A picture header may claim any size (VP8: up to 16383x16383, 390 MB
	// for a 30-byte packet); FFmpeg refuses what exceeds max_pixels.
	opts := astiav.NewDictionary()
	defer opts.Free()
	if err := opts.Set("max_pixels", strconv.Itoa(ffmpegMaxPixels), 0); err != nil {
		cc.Free()
		return fmt.Errorf("codec: %v decoder option: %w", d.codec, err)
	}
	if err := cc.Open(dec, opts); err != nil {
		cc.Free()
		return fmt.Errorf("codec: open %v decoder: %w", d.codec, err)
	}
	d.cc, d.sawIDR = cc, false
	return nil
}

// MaxDecodePixels is the largest picture a decoder takes (4K UHD, either
// way up); a larger one is a corrupt frame.
const MaxDecodePixels = 3840 * 2160

// ffmpegMaxPixels is the max_pixels FFmpeg's decoders are given: FFmpeg
// counts a picture's width rounded up to its row alignment (up to 64), so
// a portrait 2160x3840 picture counts as 2176x3840, over MaxDecodePixels.
// The slack lets every picture within MaxDecodePixels through, up to
// VP8's tallest; the decoded size is then checked exactly (receive).
const ffmpegMaxPixels = MaxDecodePixels + 64*16384

// errTooLarge is a decoded picture beyond MaxDecodePixels.
var errTooLarge = fmt.Errorf("picture larger than %d pixels", MaxDecodePixels)

// Pixels is the size of the stream's pictures as the decoder last saw
// them (0 before the first).
func (d *VideoDecoder) Pixels() int {
	if d.cc == nil {
		return 0
	}
	return d.cc.Width() * d.cc.Height()
}

// Delay is how many pictures the decoder holds back to give them out in
// display order (an H.264 stream with B-frames), as it knows so far.
func (d *VideoDecoder) Delay() int {
	if d.cc == nil {
		return 0
	}
	return reorderDelay(d.cc)
}

// Codec is the format this decoder reads.
func (d *VideoDecoder) Codec() VideoCodec { return d.codec }

// WaitKeyframe makes the decoder drop frames until the next keyframe; call it
// when frames were lost.
func (d *VideoDecoder) WaitKeyframe() { d.needKey = true }

// NeedsKeyframe reports whether the decoder is waiting for a keyframe.
func (d *VideoDecoder) NeedsKeyframe() bool { return d.needKey }

// Errors returned by Send.
var (
	// ErrNeedKeyframe: the frame was dropped because the decoder waits for a
	// keyframe. Ask the sender for one (PLI).
	ErrNeedKeyframe = errors.New("codec: waiting for a keyframe")
	// ErrCorrupt: the decoder rejected the data; it now waits for a keyframe.
	ErrCorrupt = errors.New("codec: corrupt video frame")
	// ErrClosed: the decoder was closed.
	ErrClosed = errors.New("codec: decoder closed")
)

// Send decodes one compressed frame with presentation time pts (NoPTS if
// unknown). Pictures it produces are then fetched with Receive. FFmpeg
// gets a copy of data: Send does not keep it.
func (d *VideoDecoder) Send(data []byte, pts time.Duration) error {
	return d.send(data, pts, false)
}

// SendPreroll decodes a frame that is not to be shown (a file's pre-roll,
// Packet.Preroll): it serves as a reference for the frames after it, and
// Receive gives no picture of it.
func (d *VideoDecoder) SendPreroll(data []byte, pts time.Duration) error {
	return d.send(data, pts, true)
}

func (d *VideoDecoder) send(data []byte, pts time.Duration, preroll bool) error {
	if len(data) == 0 {
		return nil
	}
	if d.pkt == nil || d.frame == nil {
		return ErrClosed
	}
	if d.flushed { // FFmpeg takes nothing after the end of a stream: start afresh
		d.cc.Free()
		d.cc, d.flushed, d.preroll = nil, false, d.preroll[:0]
	}
	if d.cc == nil { // a restart after errors failed, or a new stream
		if err := d.open(); err != nil {
			return err
		}
	}

	if d.needKey {
		if !IsKeyframe(d.codec, data) {
			// An H.264 stream of gradual refresh has recovery points
			// instead of keyframes. The pictures before the refresh is
			// done are not whole (FFmpeg, once it has seen an IDR picture,
			// takes every later one as whole): they are held back.
			frames, ok := H264RecoveryPoint(data)
			if d.codec != H264 || !ok {
				return ErrNeedKeyframe
			}
			d.hide = 0
			if d.sawIDR {
				d.hide = frames
			}
		} else {
			d.hide = 0
		}
		d.needKey = false
	} else if d.hide > 0 && IsKeyframe(d.codec, data) {
		d.hide = 0 // whole from here
	}
	if err := LoadPacket(d.pkt, data); err != nil {
		return err
	}
	if pts != NoPTS {
		d.pkt.SetPts(int64(pts))
	}
	if preroll {
		d.pkt.SetFlags(astiav.NewPacketFlags(astiav.PacketFlagDiscard))
	}
	if d.codec == H264 {
		// FFmpeg keeps the colour range of an earlier SPS when a new one
		// does not say it (and the J pixel format it chose for it): each
		// picture's range comes from its own SPS alone.
		clearColorRange(d.cc)
		d.conv.rangeOnly = true
	}
	err := d.cc.SendPacket(d.pkt)
	d.pkt.Unref()
	if err != nil {
		return d.failed(err)
	}
	if d.codec == H264 && !d.sawIDR && IsKeyframe(H264, data) {
		d.sawIDR = true
	}
	if preroll && d.codec == AV1 && pts != NoPTS && len(d.preroll) < maxPreroll {
		d.preroll = append(d.preroll, pts)
	}
	return nil
}

// Receive copies the next decoded picture into dst (resizing it) and reports
// whether there was one. dst.PTS is the pts given to Send, or NoPTS.
func (d *VideoDecoder) Receive(dst *Frame) (bool, error) {
	return d.ReceiveScaled(dst, nil)
}

// ReceiveScaled is Receive with the picture cropped and scaled on its way
// out of FFmpeg, as target decides: a participant's goroutine can deliver
// pictures already at their tile size, so the mixer only copies them.
// dst.SourceWidth and SourceHeight keep the decoded size.
func (d *VideoDecoder) ReceiveScaled(dst *Frame, target Target) (bool, error) {
	if ok, err := d.receive(); !ok {
		return false, err
	}
	defer d.frame.Unref()
	if d.codec == VP8 {
		// VP8 has no colour range: FFmpeg takes the keyframe's
		// clamping_type bit (1: the decoder need not clamp, RFC 6386
		// 9.2) for full range, and its pictures would be mapped to video
		// range again, black lifted to 30. libvpx, as browsers, decodes
		// them as video range.
		d.frame.SetColorRange(astiav.ColorRangeUnspecified)
	}
	if err := d.conv.toFrame(dst, d.frame, target); err != nil {
		return false, err
	}
	dst.PTS = NoPTS
	if p := d.frame.Pts(); p != astiav.NoPtsValue {
		dst.PTS = time.Duration(p)
	}
	d.errs = 0
	return true, nil
}

// Drop takes the next decoded picture and lets it go, and reports whether
// there was one: decoding alone, as benchmarks measure it, without the
// copy Receive makes.
func (d *VideoDecoder) Drop() (bool, error) {
	ok, err := d.receive()
	if ok {
		d.frame.Unref()
		d.errs = 0
	}
	return ok, err
}

// receive takes the next decoded picture into d.frame, which the caller
// unrefs, and reports whether there was one.
func (d *VideoDecoder) receive() (bool, error) {
	if d.cc == nil || d.frame == nil {
		return false, nil
	}
	for {
		err := d.cc.ReceiveFrame(d.frame)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			return false, nil
		}
		if err != nil {
			return false, d.failed(err)
		}
		if w, h := d.frame.Width(), d.frame.Height(); w*h > MaxDecodePixels {
			d.frame.Unref()
			return false, d.failed(fmt.Errorf("%dx%d: %w", w, h, errTooLarge))
		}
		if d.hide > 0 {
			d.hide--
			d.frame.Unref()
			continue
		}
		if len(d.preroll) > 0 {
			if p := d.frame.Pts(); p != astiav.NoPtsValue {
				if i := slices.Index(d.preroll, time.Duration(p)); i >= 0 {
					d.preroll = slices.Delete(d.preroll, i, i+1)
					d.frame.Unref() // a pre-roll picture the decoder gave out anyway
					continue
				}
			}
		}
		return true, nil
	}
}

// Flush tells the decoder the stream ended; Receive then returns the pictures
// it still holds. A later Send starts a new stream, from a keyframe.
func (d *VideoDecoder) Flush() error {
	if d.cc == nil {
		return nil
	}
	d.flushed, d.needKey = true, true
	if err := d.cc.SendPacket(nil); err != nil && !errors.Is(err, astiav.ErrEof) {
		return fmt.Errorf("codec: flush %v decoder: %w", d.codec, err)
	}
	return nil
}

func (d *VideoDecoder) failed(err error) error {
	d.needKey = true
	d.errs++
	if d.errs >= maxDecodeErrors {
		// Start over: a fresh context forgets whatever state went bad
		// (an end of stream too).
		d.cc.Free()
		d.cc, d.flushed, d.preroll = nil, false, d.preroll[:0]
		if oerr := d.open(); oerr != nil {
			return errors.Join(fmt.Errorf("%w: %w", ErrCorrupt, err), oerr)
		}
		d.errs = 0
	}
	return fmt.Errorf("%w: %v: %w", ErrCorrupt, d.codec, err)
}

// Close frees the decoder. It is safe to call more than once.
func (d *VideoDecoder) Close() {
	if d.cc != nil {
		d.cc.Free()
		d.cc = nil
	}
	if d.pkt != nil {
		d.pkt.Free()
		d.pkt = nil
	}
	if d.frame != nil {
		d.frame.Free()
		d.frame = nil
	}
	d.conv.close()
}
