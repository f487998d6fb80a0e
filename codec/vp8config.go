package codec

import (
	"fmt"
	"strconv"
)

// VP8Config are the settings of the room's single VP8 encoder. They are
// real-time settings: no lookahead, error resilient, constant bitrate,
// keyframes on request, and a fixed speed.
type VP8Config struct {
	Width, Height int
	FPS           int
	// Bitrate is the constant target in bits per second.
	Bitrate int
	// KeyframeInterval is the number of frames between periodic keyframes
	// (receivers also get one on request).
	KeyframeInterval int
	// Speed is libvpx's cpu-used. It must be negative: a negative value is a
	// fixed speed, while a positive one makes libvpx time itself and spend
	// most of each frame interval, so its cost grows with idle CPU.
	// WebRTC uses -6 on desktops.
	Speed int
	// Threads is the number of encoder threads. One is the cheapest in CPU
	// time; more lower the latency of a frame at some cost in CPU.
	Threads int
}

// DefaultVP8Config is 1280x720 at 30 fps and 1.5 Mbit/s, a keyframe every
// 5 s, speed -6, one thread.
func DefaultVP8Config() VP8Config {
	return VP8Config{Width: 1280, Height: 720, FPS: 30, Bitrate: 1_500_000,
		KeyframeInterval: 150, Speed: -6, Threads: 1}
}

// Validate reports the first setting that is out of range.
func (c VP8Config) Validate() error {
	if err := validateStream("vp8", c.Width, c.Height, c.FPS, c.Bitrate, c.KeyframeInterval); err != nil {
		return err
	}
	switch {
	case c.Speed >= 0 || c.Speed < -16:
		return fmt.Errorf("codec: vp8 speed %d: want a fixed speed, -16..-1", c.Speed)
	case c.Threads < 1 || c.Threads > 16:
		return fmt.Errorf("codec: vp8 threads %d: want 1..16", c.Threads)
	}
	return nil
}

// validateStream checks what every video encoder's settings have: the
// picture size, the frame rate, the bitrate and the keyframe interval.
// name is the codec's, for the message.
func validateStream(name string, width, height, fps, bitrate, keyframeInterval int) error {
	switch {
	case width < 16 || height < 16 || width > 4096 || height > 4096 || width%2 != 0 || height%2 != 0:
		return fmt.Errorf("codec: %s size %dx%d: want even sizes from 16 to 4096", name, width, height)
	case fps < 1 || fps > 120:
		return fmt.Errorf("codec: %s fps %d: want 1..120", name, fps)
	case bitrate < 50_000 || bitrate > 50_000_000:
		return fmt.Errorf("codec: %s bitrate %d: want 50k..50M bit/s", name, bitrate)
	case keyframeInterval < 1:
		return fmt.Errorf("codec: %s keyframe interval %d: want at least one frame", name, keyframeInterval)
	}
	return nil
}

// options are the encoder settings as FFmpeg option names and values; both
// the encoder and FFmpegArgs are made from them, so a comparison with the
// ffmpeg CLI uses exactly the same settings.
func (c VP8Config) options() [][2]string {
	b := strconv.Itoa(c.Bitrate)
	return [][2]string{
		{"deadline", "realtime"},
		{"cpu-used", strconv.Itoa(c.Speed)},
		{"lag-in-frames", "0"},
		{"auto-alt-ref", "0"},
		{"error-resilient", "default"},
		// CBR: min = max = target, a 1 s buffer that starts half full.
		{"b", b},
		{"minrate", b},
		{"maxrate", b},
		{"bufsize", b},
		{"rc_init_occupancy", strconv.Itoa(c.Bitrate / 2)},
		{"undershoot-pct", "100"},
		{"overshoot-pct", "15"},
		// Keep keyframes (on join, on loss) from bursting far over budget.
		{"max-intra-rate", "300"},
		{"qmin", "2"},
		{"qmax", "56"},
		{"static-thresh", "1"},
		{"g", strconv.Itoa(c.KeyframeInterval)},
		{"threads", strconv.Itoa(c.Threads)},
	}
}

// FFmpegArgs returns the output options that make the ffmpeg CLI encode with
// the same settings (used by the benchmark that compares the two).
func (c VP8Config) FFmpegArgs() []string {
	args := []string{"-c:v", "libvpx", "-pix_fmt", "yuv420p"}
	for _, o := range c.options() {
		name := o[0]
		if name == "b" {
			name = "b:v"
		}
		args = append(args, "-"+name, o[1])
	}
	return args
}
