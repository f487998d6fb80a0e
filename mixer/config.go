package mixer

import (
	"fmt"
	"image"
	"log/slog"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

// Config are a mixer's settings.
type Config struct {
	// Video is the single encoder's configuration; its Width, Height and
	// FPS are the canvas and the output frame rate.
	Video codec.VP8Config
	Audio codec.OpusConfig
	// Layout and Aspect place the participants on the canvas.
	Layout layout.Mode
	Aspect layout.Aspect
	// Live never waits: a tick whose picture finds the encoder holding both
	// canvases composes none (Dropped), and ticks already due when the
	// mixer is late are skipped (LateTicks). Offline, the mixer waits.
	Live bool
	// StrainSpeed is the fastest libvpx speed (cpu-used) a live encoder
	// steps to, two at a time, while its pictures take over 60 % of the
	// frame interval (the machine short of CPU), coming back a step at a
	// time to Video.Speed after 10 s under 30 % (speed.go). 0, or a speed
	// no faster than Video.Speed, keeps the speed fixed. Offline the
	// speed is always fixed: the output does not depend on the machine.
	StrainSpeed int
	// KeyframeMinInterval coalesces keyframe requests: everyone pays for a
	// keyframe, so at most one is forced per interval.
	KeyframeMinInterval time.Duration
	Limiter             audio.LimiterConfig
	Speaker             audio.SpeakerConfig
	// Voices is how many participants' sound each mix takes at most: the
	// loudest (audio.Voices), faded in and out over a frame as they come
	// and go; 0: everyone's.
	Voices int
	// Tap, when set, sees every composed canvas (before encoding) in the
	// mixer goroutine; the image is only valid during the call.
	Tap func(canvas *image.YCbCr, pts time.Duration) error
	// Observer, when set, is told about every tick and picture (metrics).
	Observer Observer
	// EncoderThread, when set, is called first thing in the encoder's
	// goroutine (for example to give its thread a higher priority).
	EncoderThread func()
	// H264Thread, when set, is called first thing in each run of the
	// H.264 encoder's goroutine, on a thread of its own that ends with the
	// run (for example to set its priority).
	H264Thread func()
	Logger     *slog.Logger
}

// LiveVoices is the Voices of a live room unless told otherwise: one more
// than libwebrtc's audio mixer takes by default (3), so that four people
// all talking still hear each other.
const LiveVoices = 4

// Observer receives the mixer's measurements as they happen; its methods
// must be cheap and safe from several goroutines.
type Observer interface {
	// Compose is the time a video tick took to bring the canvas up to date.
	Compose(d time.Duration)
	// Encode is the time one picture took to encode.
	Encode(d time.Duration)
	// Latency is, for a live picture shown for the first time, the time
	// from its arrival to the hand-over of the composite containing it.
	Latency(d time.Duration)
	// LateTicks counts video ticks skipped because the mixer was behind.
	LateTicks(n int)
	// Dropped is a video tick that composed no picture: the encoder held
	// both canvases (live only). keyframe: it was encoding a keyframe,
	// which takes several frame intervals at a high frame rate (a join's,
	// a receiver's request): no sign by itself of the machine short of CPU.
	Dropped(keyframe bool)
	// Keyframe is called for each keyframe; forced tells a requested one
	// from a periodic one.
	Keyframe(forced bool)
	// CPU is the CPU time a piece of work of stage took on its thread.
	CPU(stage Stage, d time.Duration)
	// EncoderSpeed is a step of the VP8 encoder's speed under strain
	// (Config.StrainSpeed): faster, or back towards Video.Speed.
	EncoderSpeed(faster bool)
}

// Stage is a part of a room's work whose CPU time is measured (Observer.CPU)
// on the thread doing it: what the media work costs in the server, against
// what everything else does (the network, RTP, the Go runtime). Where a
// stage hands its result to the network or a recording, that is left out.
// An encoder with worker threads (VP8Config.Threads > 1, never the
// server's) is counted for its calling thread only.
type Stage int

const (
	// StageVideoDecode: decoding a participant's video frames and scaling
	// the pictures to their tile (not the depacketizing).
	StageVideoDecode Stage = iota
	// StageAudioDecode: a participant's audio packets through the jitter
	// buffer and the Opus decoder, in the participant's goroutine.
	StageAudioDecode
	// StageCompose: a video tick, bringing the canvas up to date.
	StageCompose
	// StageVideoEncode: encoding one composite picture in VP8.
	StageVideoEncode
	// StageAudioMix: an audio tick: the mix, the mix-minus, the limiters
	// and every Opus encode (and what the jitter buffers decode late, when
	// a missing packet is given up), not the sending.
	StageAudioMix
	// StageH264Encode: copying one composite picture for the H.264
	// encoder and encoding it, while the room has receivers of it.
	StageH264Encode
)

// Stages are the Stage values, for a metric to start at zero.
var Stages = []Stage{StageVideoDecode, StageAudioDecode, StageCompose, StageVideoEncode, StageAudioMix, StageH264Encode}

func (s Stage) String() string {
	switch s {
	case StageVideoDecode:
		return "video_decode"
	case StageAudioDecode:
		return "audio_decode"
	case StageCompose:
		return "compose"
	case StageVideoEncode:
		return "video_encode"
	case StageAudioMix:
		return "audio_mix"
	case StageH264Encode:
		return "h264_encode"
	}
	return "unknown"
}

// DefaultConfig is a 1280x720 30 fps VP8 grid at 1.5 Mbit/s with 64 kbit/s
// stereo Opus.
func DefaultConfig() Config {
	return Config{
		Video:               codec.DefaultVP8Config(),
		Audio:               codec.DefaultOpusConfig(),
		Layout:              layout.Grid,
		Aspect:              layout.Fit,
		KeyframeMinInterval: 500 * time.Millisecond,
		Limiter:             audio.DefaultLimiterConfig(),
		Speaker:             audio.DefaultSpeakerConfig(),
	}
}

// Validate reports the first setting that is out of range.
func (c Config) Validate() error {
	if err := c.Video.Validate(); err != nil {
		return fmt.Errorf("mixer: %w", err)
	}
	if err := c.Audio.Validate(); err != nil {
		return fmt.Errorf("mixer: %w", err)
	}
	if err := c.Limiter.Validate(); err != nil {
		return fmt.Errorf("mixer: %w", err)
	}
	if err := c.Speaker.Validate(); err != nil {
		return fmt.Errorf("mixer: %w", err)
	}
	if c.KeyframeMinInterval < 0 {
		return fmt.Errorf("mixer: negative keyframe interval %v", c.KeyframeMinInterval)
	}
	if c.StrainSpeed != 0 && (c.StrainSpeed >= 0 || c.StrainSpeed < -16) {
		return fmt.Errorf("mixer: strain speed %d: want -16..-1, or 0 for none", c.StrainSpeed)
	}
	if c.Voices < 0 {
		return fmt.Errorf("mixer: voices %d: want 0 (everyone's) or more", c.Voices)
	}
	return nil
}

// frameDuration is the time between two output pictures.
func (c Config) frameDuration() time.Duration { return time.Second / time.Duration(c.Video.FPS) }

// videoTick is the media time of output picture k, exact (no accumulated
// rounding).
func (c Config) videoTick(k int64) time.Duration {
	return time.Duration(k * int64(time.Second) / int64(c.Video.FPS))
}
