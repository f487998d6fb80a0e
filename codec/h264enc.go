//go:build cgo

package codec

/*
#cgo pkg-config: libavcodec
#include <libavcodec/avcodec.h>

// mcu_h264_rate sets the rate and its cap (a half-second buffer), which
// FFmpeg's libx264 wrapper compares with x264's own before each picture:
// a change reconfigures the running encoder (x264_encoder_reconfig), no
// keyframe. go-astiav has setters for neither cap nor buffer.
static void mcu_h264_rate(AVCodecContext *cc, int64_t bps) {
	if (cc == NULL) return;
	cc->bit_rate = bps;
	cc->rc_max_rate = bps;
	cc->rc_buffer_size = (int)(bps / 2);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/asticode/go-astiav"
)

// H264Config are the settings of the H.264 encoder a room runs beside its
// VP8 one for receivers that cannot decode VP8. Like the VP8 encoder's
// they are real-time settings: x264 tuned for zero latency (no lookahead,
// no B-frames), constrained baseline (what every H.264 decoder takes,
// hardware ones included), a capped bitrate, IDR pictures on request.
type H264Config struct {
	Width, Height int
	FPS           int
	// Bitrate is the target in bits per second, also the cap of a
	// half-second buffer.
	Bitrate int
	// KeyframeInterval is the number of frames between periodic IDR
	// pictures.
	KeyframeInterval int
	// Preset is x264's speed preset: "ultrafast" to "medium".
	Preset string
	// Level, if not zero, is the level the stream's SPS says (x264 picks
	// the lowest that fits otherwise). The picture size, frame rate and
	// bitrate must be within it (H264Level.Fit, MaxBitrate).
	Level H264Level
}

// H264 returns the H.264 settings that match the VP8 ones: same picture,
// rate and keyframe interval, and the preset DefaultH264Preset.
func (c VP8Config) H264() H264Config {
	return H264Config{Width: c.Width, Height: c.Height, FPS: c.FPS, Bitrate: c.Bitrate,
		KeyframeInterval: c.KeyframeInterval, Preset: DefaultH264Preset}
}

// ForLevel is c for receivers that decode up to level l: the largest size
// of c's shape the level takes at c's frame rate (Fit), and no more than
// the level's bitrate. The zero level changes nothing but Level.
func (c H264Config) ForLevel(l H264Level) H264Config {
	c.Level = l
	c.Width, c.Height = l.Fit(c.Width, c.Height, c.FPS)
	c.Bitrate = l.CapBitrate(c.Bitrate)
	return c
}

// DefaultH264Preset is the x264 preset mcu uses, chosen by measurement
// (BenchmarkH264Presets; docs/design.md, the H.264 mix).
const DefaultH264Preset = "superfast"

var h264Presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium"}

// Validate reports the first setting that is out of range.
func (c H264Config) Validate() error {
	if err := validateStream("h264", c.Width, c.Height, c.FPS, c.Bitrate, c.KeyframeInterval); err != nil {
		return err
	}
	for _, p := range h264Presets {
		if c.Preset == p {
			return nil
		}
	}
	return fmt.Errorf("codec: h264 preset %q: want one of %v", c.Preset, h264Presets)
}

func (c H264Config) options() [][2]string {
	opts := [][2]string{
		{"preset", c.Preset},
		{"tune", "zerolatency"},
		{"profile", "baseline"},
		// A keyframe asked for is an IDR picture, where a decoder that
		// joins or lost packets can start.
		{"forced-idr", "1"},
		{"g", strconv.Itoa(c.KeyframeInterval)},
		{"threads", "1"},
		// Every IDR picture carries its SPS and PPS (no global header).
		{"x264-params", "repeat-headers=1"},
		// Said in the SPS: the pictures are BT.601 in video range, as the
		// VP8 mix is (VP8 knows no other). Without it a decoder guesses,
		// and browsers take a 720p H.264 picture for BT.709: colours shift.
		{"colorspace", "smpte170m"},
		{"color_primaries", "smpte170m"},
		{"color_trc", "smpte170m"},
		{"color_range", "tv"},
	}
	if c.Level != 0 {
		opts = append(opts, [2]string{"level", c.Level.String()})
	}
	return opts
}

// H264Encoder encodes the same pictures as a VP8Encoder (its Pictures) to
// H.264 in Annex B, through FFmpeg's libx264 wrapper. Use from one
// goroutine; Close frees it.
type H264Encoder struct {
	cfg     H264Config
	cc      *astiav.CodecContext
	pkt     *astiav.Packet
	bitrate int // wanted; applied at the next EncodePicture
}

// NewH264Encoder opens an encoder with cfg.
func NewH264Encoder(cfg H264Config) (*H264Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	enc := astiav.FindEncoderByName("libx264")
	if enc == nil {
		return nil, errors.New("codec: FFmpeg was built without libx264")
	}
	cc := astiav.AllocCodecContext(enc)
	if cc == nil {
		return nil, errors.New("codec: allocate h264 encoder")
	}
	cc.SetWidth(cfg.Width)
	cc.SetHeight(cfg.Height)
	cc.SetPixelFormat(astiav.PixelFormatYuv420P)
	cc.SetTimeBase(astiav.NewRational(1, cfg.FPS))
	cc.SetFramerate(astiav.NewRational(cfg.FPS, 1))
	cc.SetBitRate(int64(cfg.Bitrate)) // should the cap not be reachable
	C.mcu_h264_rate(avCodecContext(cc), C.int64_t(cfg.Bitrate))
	opts := astiav.NewDictionary()
	defer opts.Free()
	for _, o := range cfg.options() {
		if err := opts.Set(o[0], o[1], 0); err != nil {
			cc.Free()
			return nil, fmt.Errorf("codec: h264 option %s=%s: %w", o[0], o[1], err)
		}
	}
	if err := cc.Open(enc, opts); err != nil {
		cc.Free()
		return nil, fmt.Errorf("codec: open h264 encoder: %w", err)
	}
	e := &H264Encoder{cfg: cfg, cc: cc, bitrate: cfg.Bitrate}
	if e.pkt = astiav.AllocPacket(); e.pkt == nil {
		e.Close()
		return nil, errors.New("codec: allocate h264 encoder packet")
	}
	return e, nil
}

// Config returns the settings in use (Bitrate is the one last applied).
func (e *H264Encoder) Config() H264Config { return e.cfg }

// SetBitrate changes the target bitrate from the next picture on, without
// a keyframe.
func (e *H264Encoder) SetBitrate(bps int) error {
	c := e.cfg
	c.Bitrate = bps
	if err := c.Validate(); err != nil {
		return err
	}
	e.bitrate = bps
	return nil
}

// EncodePicture compresses p, shown at pts on the mixer's clock; forceKey
// asks for an IDR picture. When it returns, the encoder no longer uses the
// picture. The returned Data is an Annex B access unit owned by the
// caller.
func (e *H264Encoder) EncodePicture(p *Picture, pts time.Duration, forceKey bool) (EncodedFrame, error) {
	switch {
	case e.cc == nil:
		return EncodedFrame{}, errors.New("codec: h264 encode: encoder closed")
	case p == nil || p.f == nil:
		return EncodedFrame{}, errors.New("codec: h264 encode: no picture (freed?)")
	case p.f.Width() != e.cfg.Width || p.f.Height() != e.cfg.Height || p.f.PixelFormat() != astiav.PixelFormatYuv420P:
		return EncodedFrame{}, fmt.Errorf("codec: h264 encode: a %dx%d %s picture into a %dx%d encoder",
			p.f.Width(), p.f.Height(), p.f.PixelFormat(), e.cfg.Width, e.cfg.Height)
	}
	switch {
	case e.bitrate < e.cfg.Bitrate && e.cc.BitRate() != int64(e.bitrate):
		// FFmpeg's libx264 wrapper reconfigures the cap before the
		// target: lowered together, x264 would take a cap under the
		// target still in force, and warn ("max bitrate less than
		// average bitrate") at every lowering. The target goes down with
		// this picture, the cap with the next.
		e.cc.SetBitRate(int64(e.bitrate))
	case e.bitrate != e.cfg.Bitrate:
		e.cc.SetBitRate(int64(e.bitrate))
		C.mcu_h264_rate(avCodecContext(e.cc), C.int64_t(e.bitrate))
		e.cfg.Bitrate = e.bitrate
	}
	return encodePicture(e.cc, e.pkt, p.f, H264, e.cfg.FPS, pts, forceKey)
}

// Close frees the encoder. It is safe to call more than once.
func (e *H264Encoder) Close() {
	if e.cc != nil {
		e.cc.Free()
		e.cc = nil
	}
	if e.pkt != nil {
		e.pkt.Free()
		e.pkt = nil
	}
}
