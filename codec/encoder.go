//go:build cgo

package codec

/*
#cgo pkg-config: libavutil
#include <string.h>
#include <libavutil/frame.h>

// mcu_frame_load copies a 4:2:0 picture from Go memory into an encoder input
// frame of the same size.
static int mcu_frame_load(AVFrame *f, const uint8_t *y, int ys, const uint8_t *u, const uint8_t *v, int cs) {
	int r = av_frame_make_writable(f);
	if (r < 0) return r;
	int w = f->width, h = f->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int i = 0; i < h; i++) memcpy(f->data[0] + (size_t)i * f->linesize[0], y + (size_t)i * ys, w);
	for (int i = 0; i < ch; i++) {
		memcpy(f->data[1] + (size_t)i * f->linesize[1], u + (size_t)i * cs, cw);
		memcpy(f->data[2] + (size_t)i * f->linesize[2], v + (size_t)i * cs, cw);
	}
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"time"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// VP8Encoder is the room's single video encoder: FFmpeg's libvpx wrapper
// with real-time settings (see VP8Config). Use from one goroutine; Close
// frees it.
type VP8Encoder struct {
	cfg       VP8Config
	cc        *astiav.CodecContext
	pic       *Picture // Encode's own input picture
	pkt       *astiav.Packet
	bitrate   int   // wanted; applied at the next Encode
	fixedRate error // why the bitrate cannot change in place (retarget), once found
	reopen    bool  // reopen before the next Encode, for a bitrate change
	// twoLayers: frames alternate between reference and droppable ones
	// (SetTwoLayers); nextDroppable: the next frame is to be droppable.
	twoLayers, nextDroppable bool
	screen                   bool // the pictures are screen content (SetScreenContent)
}

// Picture is an input picture of a VP8Encoder, in C memory it owns. A
// caller with two of them can load one while the other is being encoded in
// another goroutine: the picture's owner is whoever holds it. Free frees it.
type Picture struct {
	f *astiav.Frame
}

// NewVP8Encoder opens an encoder with cfg.
func NewVP8Encoder(cfg VP8Config) (*VP8Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &VP8Encoder{cfg: cfg, bitrate: cfg.Bitrate}
	var err error
	if e.pic, err = e.NewPicture(); err != nil {
		return nil, err
	}
	if e.pkt = astiav.AllocPacket(); e.pkt == nil {
		e.Close()
		return nil, errors.New("codec: allocate vp8 encoder packet")
	}
	if err := e.open(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// NewPicture allocates an input picture of the encoder's size.
func (e *VP8Encoder) NewPicture() (*Picture, error) { return NewPicture(e.cfg.Width, e.cfg.Height) }

// NewPicture allocates a 4:2:0 encoder input picture of w×h.
func NewPicture(w, h int) (*Picture, error) {
	f := astiav.AllocFrame()
	if f == nil {
		return nil, errors.New("codec: allocate encoder input picture")
	}
	f.SetWidth(w)
	f.SetHeight(h)
	f.SetPixelFormat(astiav.PixelFormatYuv420P)
	if err := f.AllocBuffer(0); err != nil {
		f.Free()
		return nil, fmt.Errorf("codec: allocate encoder input picture: %w", err)
	}
	return &Picture{f: f}, nil
}

// Load copies img, a 4:2:0 image of the picture's size, into the picture.
func (p *Picture) Load(img *image.YCbCr) error {
	if img.Rect.Dx() != p.f.Width() || img.Rect.Dy() != p.f.Height() {
		return fmt.Errorf("codec: load a %v image into a %dx%d picture", img.Rect.Size(), p.f.Width(), p.f.Height())
	}
	if err := check420(img, img.Rect); err != nil {
		return fmt.Errorf("codec: load %w", err)
	}
	y, u, v := planePointers(img, img.Rect.Min)
	if r := C.mcu_frame_load((*C.AVFrame)(p.f.UnsafePointer()), y, C.int(img.YStride), u, v, C.int(img.CStride)); r < 0 {
		return fmt.Errorf("codec: vp8 input picture: %w", astiav.Error(r))
	}
	return nil
}

// Image returns the picture's memory as a 4:2:0 image to draw on in place,
// for a compositor that paints the encoder's input directly instead of
// copying a finished canvas into it with Load. The image is valid while the
// caller holds the picture; ask again after each encode.
func (p *Picture) Image() (*image.YCbCr, error) {
	cf := (*C.AVFrame)(p.f.UnsafePointer())
	// FFmpeg drops the encoder's reference to the frame once it is encoded,
	// so this normally copies nothing.
	if r := C.av_frame_make_writable(cf); r < 0 {
		return nil, fmt.Errorf("codec: vp8 input picture: %w", astiav.Error(r))
	}
	w, h := int(cf.width), int(cf.height)
	ys, cs := int(cf.linesize[0]), int(cf.linesize[1])
	if ys < w || cs < (w+1)/2 || int(cf.linesize[2]) != cs {
		return nil, fmt.Errorf("codec: vp8 input picture has unusual strides %d/%d/%d", ys, cs, int(cf.linesize[2]))
	}
	ch := (h + 1) / 2
	return &image.YCbCr{
		Y:              unsafe.Slice((*byte)(unsafe.Pointer(cf.data[0])), h*ys), // FFmpeg pads the height: whole rows exist
		Cb:             unsafe.Slice((*byte)(unsafe.Pointer(cf.data[1])), ch*cs),
		Cr:             unsafe.Slice((*byte)(unsafe.Pointer(cf.data[2])), ch*cs),
		YStride:        ys,
		CStride:        cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}, nil
}

// CopyFrom copies src, a picture of the same size, into p.
func (p *Picture) CopyFrom(src *Picture) error {
	switch {
	case p == nil || p.f == nil || src == nil || src.f == nil:
		return errors.New("codec: copy a picture: freed")
	case src.f.Width() != p.f.Width() || src.f.Height() != p.f.Height():
		return fmt.Errorf("codec: copy a %dx%d picture into a %dx%d one", src.f.Width(), src.f.Height(), p.f.Width(), p.f.Height())
	}
	dst := (*C.AVFrame)(p.f.UnsafePointer())
	if r := C.av_frame_make_writable(dst); r < 0 {
		return fmt.Errorf("codec: copy a picture: %w", astiav.Error(r))
	}
	if r := C.av_frame_copy(dst, (*C.AVFrame)(src.f.UnsafePointer())); r < 0 {
		return fmt.Errorf("codec: copy a picture: %w", astiav.Error(r))
	}
	return nil
}

// Free frees the picture. It is safe to call more than once.
func (p *Picture) Free() {
	if p != nil && p.f != nil {
		p.f.Free()
		p.f = nil
	}
}

func (e *VP8Encoder) open() error {
	enc := astiav.FindEncoderByName("libvpx")
	if enc == nil {
		return errors.New("codec: FFmpeg was built without libvpx")
	}
	cc := astiav.AllocCodecContext(enc)
	if cc == nil {
		return errors.New("codec: allocate vp8 encoder")
	}
	cc.SetWidth(e.cfg.Width)
	cc.SetHeight(e.cfg.Height)
	cc.SetPixelFormat(astiav.PixelFormatYuv420P)
	cc.SetTimeBase(astiav.NewRational(1, e.cfg.FPS))
	cc.SetFramerate(astiav.NewRational(e.cfg.FPS, 1))
	opts := astiav.NewDictionary()
	defer opts.Free()
	for _, o := range e.cfg.options() {
		if err := opts.Set(o[0], o[1], 0); err != nil {
			cc.Free()
			return fmt.Errorf("codec: vp8 option %s=%s: %w", o[0], o[1], err)
		}
	}
	if err := cc.Open(enc, opts); err != nil {
		cc.Free()
		return fmt.Errorf("codec: open vp8 encoder: %w", err)
	}
	e.cc = cc
	return nil
}

// Config returns the settings in use (Bitrate is the one last applied).
func (e *VP8Encoder) Config() VP8Config { return e.cfg }

// SetBitrate changes the target bitrate from the next frame on, without a
// keyframe: the running libvpx encoder is retargeted (retarget). Should
// that be impossible, the encoder is reopened and the next frame is a
// keyframe.
func (e *VP8Encoder) SetBitrate(bps int) error {
	c := e.cfg
	c.Bitrate = bps
	if err := c.Validate(); err != nil {
		return err
	}
	e.bitrate = bps
	return nil
}

// Encode compresses one image of the configured size, shown at pts on the
// mixer's clock, and returns the compressed frame. forceKey asks for a
// keyframe. The returned Data is newly allocated and owned by the caller.
func (e *VP8Encoder) Encode(img *image.YCbCr, pts time.Duration, forceKey bool) (EncodedFrame, error) {
	if err := e.pic.Load(img); err != nil {
		return EncodedFrame{}, err
	}
	return e.EncodePicture(e.pic, pts, forceKey)
}

// EncodePicture is Encode from a picture already loaded (see NewPicture).
// When it returns, the encoder no longer uses the picture. A picture of
// another size (another encoder's), or one freed, is an error: libvpx
// would read past it.
func (e *VP8Encoder) EncodePicture(p *Picture, pts time.Duration, forceKey bool) (EncodedFrame, error) {
	switch {
	case p == nil || p.f == nil:
		return EncodedFrame{}, errors.New("codec: vp8 encode: no picture (freed?)")
	case p.f.Width() != e.cfg.Width || p.f.Height() != e.cfg.Height || p.f.PixelFormat() != astiav.PixelFormatYuv420P:
		return EncodedFrame{}, fmt.Errorf("codec: vp8 encode: a %dx%d %s picture into a %dx%d encoder",
			p.f.Width(), p.f.Height(), p.f.PixelFormat(), e.cfg.Width, e.cfg.Height)
	}
	if e.cc != nil && e.bitrate != e.cfg.Bitrate {
		if e.fixedRate == nil {
			if err := e.retarget(e.bitrate); err != nil {
				e.fixedRate = err
				warn("vp8 encoder: its bitrate cannot change in place; each change reopens it, with a keyframe", "err", err)
			} else {
				e.cfg.Bitrate = e.bitrate
			}
		}
		e.reopen = e.fixedRate != nil
	}
	if e.cc == nil || e.reopen {
		if err := e.restart(); err != nil {
			return EncodedFrame{}, err
		}
		forceKey = true
	}
	// A keyframe is a reference frame (it refreshes every buffer), so one
	// asked for, or that of a reopening, is not given the flags.
	droppable := e.nextDroppable && !forceKey
	if droppable {
		if err := setVP8Flags(p.f, vp8DroppableFlags); err != nil {
			return EncodedFrame{}, err
		}
	}
	out, err := encodePicture(e.cc, e.pkt, p.f, VP8, e.cfg.FPS, pts, forceKey)
	if droppable {
		// The flags are for this frame only: the picture may come back
		// for a reference frame, or go to the H.264 encoder.
		if cerr := setVP8Flags(p.f, 0); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return EncodedFrame{}, err
	}
	// libvpx may still have made a keyframe of its own (the periodic one),
	// which is a reference frame like any other.
	out.Droppable = droppable && !out.Key
	e.nextDroppable = e.twoLayers && !out.Droppable
	return out, nil
}

// encodePicture has the encoder cc encode f, shown at pts (a keyframe if
// forceKey), and gathers what it gives back, through pkt, into one frame
// of codec c. With no lookahead and no frame dropping there is one packet
// per picture; more are appended, should an encoder ever split one.
func encodePicture(cc *astiav.CodecContext, pkt *astiav.Packet, f *astiav.Frame, c VideoCodec, fps int, pts time.Duration, forceKey bool) (EncodedFrame, error) {
	f.SetPts(frameIndex(pts, fps))
	f.SetPictureType(astiav.PictureTypeNone)
	if forceKey {
		f.SetPictureType(astiav.PictureTypeI)
	}
	err := cc.SendFrame(f)
	f.SetPictureType(astiav.PictureTypeNone)
	if err != nil {
		return EncodedFrame{}, fmt.Errorf("codec: %s encode: %w", strings.ToLower(c.String()), err)
	}
	out := EncodedFrame{Codec: c, PTS: pts, Duration: time.Second / time.Duration(fps)}
	for {
		err := cc.ReceivePacket(pkt)
		if errors.Is(err, astiav.ErrEagain) || errors.Is(err, astiav.ErrEof) {
			break
		}
		if err != nil {
			return EncodedFrame{}, fmt.Errorf("codec: %s encode: %w", strings.ToLower(c.String()), err)
		}
		if data := pkt.Data(); out.Data == nil {
			out.Data = data // already a Go copy
		} else {
			out.Data = append(out.Data, data...)
		}
		out.Key = out.Key || pkt.Flags().Has(astiav.PacketFlagKey)
		pkt.Unref()
	}
	return out, nil
}

// frameIndex converts a time on the mixer's clock to an encoder's 1/fps
// time base, rounding to the nearest frame.
func frameIndex(pts time.Duration, fps int) int64 {
	return (int64(pts)*int64(fps) + int64(time.Second)/2) / int64(time.Second)
}

func (e *VP8Encoder) restart() error {
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
	}
	e.cfg.Bitrate = e.bitrate
	if err := e.open(); err != nil {
		return err
	}
	if e.screen {
		// Not worth failing the room's encoder for: the pictures go on
		// as camera pictures, and the next SetScreenContent says so.
		if err := e.applyScreen(true); err != nil {
			e.screen = false
			warn("vp8 encoder: its screen content mode was lost at a reopening", "err", err)
		}
	}
	e.reopen = false
	return nil
}

// Close frees the encoder. It is safe to call more than once.
func (e *VP8Encoder) Close() {
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
	}
	e.pic.Free()
	if e.pkt != nil {
		e.pkt.Free()
		e.pkt = nil
	}
}
