//go:build cgo

package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"gopkg.in/hraban/opus.v2"
)

// Opus in mcu is always 48 kHz stereo, interleaved int16.
const (
	OpusSampleRate = 48000
	OpusChannels   = 2
	// MaxOpusSamples is the longest Opus packet: 120 ms at 48 kHz, per channel.
	MaxOpusSamples = 5760
	// opusLookahead is libopus's encoder delay at 48 kHz for the audio
	// application (2.5 ms + 4 ms), written as pre-skip in OpusHead.
	opusLookahead = 312
)

// OpusDecoder decodes one participant's Opus stream (mono or stereo) to
// 48 kHz stereo PCM. Its state lives in Go memory. Use from one goroutine.
type OpusDecoder struct {
	d *opus.Decoder
}

// NewOpusDecoder returns a decoder.
func NewOpusDecoder() (*OpusDecoder, error) {
	d, err := opus.NewDecoder(OpusSampleRate, OpusChannels)
	if err != nil {
		return nil, fmt.Errorf("codec: opus decoder: %w", err)
	}
	return &OpusDecoder{d: d}, nil
}

// Decode decodes one packet into pcm (interleaved stereo, room for
// MaxOpusSamples per channel) and returns the samples per channel written.
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (int, error) {
	if len(packet) == 0 {
		return 0, errors.New("codec: empty opus packet")
	}
	n, err := d.d.Decode(packet, pcm[:len(pcm):len(pcm)])
	if err != nil {
		return 0, fmt.Errorf("codec: opus decode: %w", err)
	}
	return n, nil
}

// Conceal fills pcm (interleaved stereo) with packet-loss concealment
// continuing the last decoded packet.
func (d *OpusDecoder) Conceal(pcm []int16) error {
	if err := d.d.DecodePLC(pcm[:len(pcm):len(pcm)]); err != nil {
		return fmt.Errorf("codec: opus concealment: %w", err)
	}
	return nil
}

// DecodeFEC recovers the audio just before packet, lost, from packet's
// in-band FEC (the low-bitrate copy of the previous frame, LBRR, that a
// SILK or hybrid encoder adds when told to expect loss), and continues the
// stream so that packet itself can be decoded next. len(pcm)/OpusChannels
// is the duration to recover, per channel: a multiple of 2.5 ms (120
// samples), normally that of the lost packet. When it is longer than
// packet's frames, libopus conceals the start and recovers the end.
//
// libopus falls back to packet-loss concealment, as Conceal, when packet
// carries no FEC: a CELT-only packet, an encoder that added none (it saw
// no loss, or FEC is off), or pcm shorter than packet's frame. So pcm is
// filled either way when the error is nil. A packet that does not parse
// is an error and pcm is left as it was.
func (d *OpusDecoder) DecodeFEC(packet []byte, pcm []int16) error {
	if len(packet) == 0 {
		return errors.New("codec: empty opus packet")
	}
	if len(pcm) == 0 || len(pcm)%OpusChannels != 0 {
		return fmt.Errorf("codec: opus fec: %d samples, want whole stereo frames", len(pcm))
	}
	if err := d.d.DecodeFEC(packet, pcm[:len(pcm):len(pcm)]); err != nil {
		return fmt.Errorf("codec: opus fec: %w", err)
	}
	return nil
}

// OpusConfig are the settings of an Opus encoder.
type OpusConfig struct {
	Bitrate    int  // bits per second
	Complexity int  // 0..10
	FEC        bool // in-band forward error correction, added while loss is expected
	// PacketLoss is the packet loss (percent) the encoder expects from the
	// start; SetPacketLoss changes it as receivers report theirs.
	PacketLoss int
}

// DefaultOpusConfig is 64 kbit/s stereo at complexity 8, FEC on, no loss
// expected. With FEC on libopus adds redundancy only while it expects loss,
// and the price is high: at 64 kbit/s it then codes speech in SILK or
// hybrid mode (wideband SILK for voice without high frequencies) where
// without loss it is CELT at full or super-wide band. So the expected loss
// starts at 0 and follows what receivers report (SetPacketLoss).
func DefaultOpusConfig() OpusConfig {
	return OpusConfig{Bitrate: 64_000, Complexity: 8, FEC: true}
}

// Validate reports the first setting out of range.
func (c OpusConfig) Validate() error {
	if c.Bitrate < 6_000 || c.Bitrate > 510_000 {
		return fmt.Errorf("codec: opus bitrate %d: want 6k..510k bit/s", c.Bitrate)
	}
	if c.Complexity < 0 || c.Complexity > 10 {
		return fmt.Errorf("codec: opus complexity %d: want 0..10", c.Complexity)
	}
	if c.PacketLoss < 0 || c.PacketLoss > 100 {
		return fmt.Errorf("codec: opus packet loss %d %%: want 0..100", c.PacketLoss)
	}
	return nil
}

// FFmpegArgs returns the output options that make the ffmpeg CLI encode
// Opus as an OpusEncoder with c does from the start, before any
// SetPacketLoss (used by the benchmark that compares the two): FFmpeg's
// libopus wrapper otherwise runs at complexity 10, which costs it more CPU
// than mcu spends.
func (c OpusConfig) FFmpegArgs() []string {
	fec := "0"
	if c.FEC {
		fec = "1"
	}
	return []string{"-c:a", "libopus", "-application", "audio", "-frame_duration", "20",
		"-b:a", strconv.Itoa(c.Bitrate), "-compression_level", strconv.Itoa(c.Complexity),
		"-fec", fec, "-packet_loss", strconv.Itoa(c.PacketLoss), "-ar", strconv.Itoa(OpusSampleRate), "-ac", strconv.Itoa(OpusChannels)}
}

// OpusEncoder encodes 48 kHz stereo PCM, 20 ms at a time. Its state lives in
// Go memory. Use from one goroutine.
type OpusEncoder struct {
	e    *opus.Encoder
	buf  []byte
	loss int // the packet loss libopus was told to expect, percent
}

// NewOpusEncoder returns an encoder with cfg.
func NewOpusEncoder(cfg OpusConfig) (*OpusEncoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := opus.NewEncoder(OpusSampleRate, OpusChannels, opus.AppAudio)
	if err != nil {
		return nil, fmt.Errorf("codec: opus encoder: %w", err)
	}
	for _, set := range []func() error{
		func() error { return e.SetBitrate(cfg.Bitrate) },
		func() error { return e.SetComplexity(cfg.Complexity) },
		func() error { return e.SetInBandFEC(cfg.FEC) },
		func() error { return e.SetPacketLossPerc(cfg.PacketLoss) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("codec: opus encoder setting: %w", err)
		}
	}
	return &OpusEncoder{e: e, buf: make([]byte, 4000), loss: cfg.PacketLoss}, nil
}

// SetPacketLoss tells the encoder how much packet loss (percent, clamped
// to 0..100) to expect from the next packet on. With FEC on (OpusConfig),
// any loss above 0 makes libopus add in-band FEC to speech, which it can
// only carry in SILK or hybrid packets, and 0 takes it back to CELT where
// the bitrate allows (libopus 1.3.1 at 64 kbit/s codes speech-like sound
// all in CELT at 0 %, nearly all in SILK or hybrid from 1 % on). With FEC
// off it only makes the coding lean less on the previous packets. Reset
// keeps the setting.
func (e *OpusEncoder) SetPacketLoss(percent int) error {
	percent = min(max(percent, 0), 100)
	if percent == e.loss {
		return nil
	}
	if err := e.e.SetPacketLossPerc(percent); err != nil {
		return fmt.Errorf("codec: opus packet loss: %w", err)
	}
	e.loss = percent
	return nil
}

// PacketLoss is the packet loss (percent) the encoder expects.
func (e *OpusEncoder) PacketLoss() int { return e.loss }

// Encode compresses one frame of interleaved stereo PCM (2.5 to 60 ms; mcu
// uses 20 ms) and returns a new packet owned by the caller.
func (e *OpusEncoder) Encode(pcm []int16) ([]byte, error) {
	n, err := e.e.Encode(pcm, e.buf)
	if err != nil {
		return nil, fmt.Errorf("codec: opus encode: %w", err)
	}
	return append([]byte(nil), e.buf[:n]...), nil
}

// OpusHead returns the identification header (RFC 7845 5.1) of the streams
// OpusEncoder makes, as WebM wants it in CodecPrivate.
func OpusHead() []byte {
	h := []byte("OpusHead")
	h = append(h, 1, OpusChannels) // version, channels
	h = binary.LittleEndian.AppendUint16(h, opusLookahead)
	h = binary.LittleEndian.AppendUint32(h, OpusSampleRate)
	h = binary.LittleEndian.AppendUint16(h, 0) // output gain
	return append(h, 0)                        // mapping family 0: mono or stereo
}

// OpusPreSkip is the encoder delay in samples that players drop at the start.
const OpusPreSkip = opusLookahead

// ContinueFrom makes e's state a copy of src's, settings included (both
// come from NewOpusEncoder): from its next packet e goes on from src's last
// one, so that a decoder that was decoding src's packets can take e's with
// no seam. libopus keeps an encoder in one block of memory that a shallow
// copy duplicates (opus.h says so); hraban/opus keeps that block in Go
// memory, which is checked to be laid out as mcu expects before the copy.
func (e *OpusEncoder) ContinueFrom(src *OpusEncoder) error {
	dst, from := encoderState(e.e), encoderState(src.e)
	if dst == nil || from == nil || len(dst) != len(from) {
		return errors.New("codec: opus: the encoder's state cannot be copied")
	}
	copy(dst, from)
	e.loss = src.loss
	return nil
}

// encoderState is the memory of libopus's state inside e, or nil if
// hraban/opus does not hold it as mcu expects: a []byte field mem whose
// start the pointer field p points at.
func encoderState(e *opus.Encoder) []byte {
	typ := reflect.TypeFor[opus.Encoder]()
	mem, ok1 := typ.FieldByName("mem")
	p, ok2 := typ.FieldByName("p")
	if !ok1 || !ok2 || mem.Type != reflect.TypeFor[[]byte]() || p.Type.Kind() != reflect.Pointer {
		return nil
	}
	b := *(*[]byte)(unsafe.Add(unsafe.Pointer(e), mem.Offset))
	if len(b) == 0 || *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(e), p.Offset)) != unsafe.Pointer(&b[0]) {
		return nil
	}
	return b
}

// Reset returns the encoder to its initial state, as for a new stream.
func (e *OpusEncoder) Reset() error {
	if err := e.e.Reset(); err != nil {
		return fmt.Errorf("codec: opus reset: %w", err)
	}
	return nil
}

// OpusPacketDuration is the audio an Opus packet codes, from its TOC byte
// and frame count (RFC 6716 3.1), or false for a packet too short to say or
// longer than Opus allows (120 ms). A container may give a packet a
// shorter duration (Ogg trims the end of a stream to its granule
// position), but the packet still decodes to this much.
func OpusPacketDuration(p []byte) (time.Duration, bool) {
	if len(p) == 0 {
		return 0, false
	}
	config := p[0] >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = [2]time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]time.Duration{2500, 5000, 10000, 20000}[config%4] * time.Microsecond
	}
	frames := 1
	switch p[0] & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0, false
		}
		frames = int(p[1] & 0x3f)
	}
	d := time.Duration(frames) * frame
	if frames == 0 || d > 120*time.Millisecond {
		return 0, false
	}
	return d, true
}
