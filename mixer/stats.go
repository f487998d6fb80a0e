package mixer

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats are a mixer's counters since it started.
type Stats struct {
	VideoFrames uint64 // encoded pictures
	VideoBytes  uint64
	Keyframes   uint64
	// The H.264 output's pictures, bytes and keyframes (Mixer.SetH264),
	// and the pictures it dropped, its encoder busy (live only).
	H264Frames, H264Bytes, H264Keyframes, H264Dropped uint64
	DroppedFrames                                     uint64 // video ticks not composed: the encoder held both canvases (live only)
	LateTicks                                         uint64 // video ticks skipped because the mixer was late (live only)
	AudioFrames                                       uint64 // 20 ms frames of the full mix
	Compose                                           Timing // per video tick: reading sources, scaling, copying
	Encode                                            Timing // per picture, in the encoder goroutine
	// Speed is the VP8 encoder's libvpx speed (cpu-used) now; SpeedUps
	// and SpeedDowns count its steps to a faster speed under strain and
	// back (Config.StrainSpeed, live only).
	Speed                int
	SpeedUps, SpeedDowns uint64
	// ScreenContent: the VP8 encoder takes the pictures as screen
	// content now, a shared screen being in them.
	ScreenContent bool
	// H264Presets counts the H.264 encoder's changes of x264 preset with
	// the machine's strain (live only).
	H264Presets uint64
}

// Timing summarizes durations.
type Timing struct {
	Count      uint64
	Total, Max time.Duration
}

// Mean is the average duration, 0 when there were none.
func (t Timing) Mean() time.Duration {
	if t.Count == 0 {
		return 0
	}
	return t.Total / time.Duration(t.Count)
}

type stats struct {
	videoFrames, videoBytes, keyframes, dropped, lateTicks, audioFrames atomic.Uint64
	h264Frames, h264Bytes, h264Keyframes, h264Dropped, h264Presets      atomic.Uint64
	speed                                                               atomic.Int64
	screen                                                              atomic.Bool
	speedUps, speedDowns                                                atomic.Uint64
	compose, encode                                                     timing
	obs                                                                 Observer // may be nil
}

type timing struct {
	mu sync.Mutex
	t  Timing
}

func (t *timing) observe(d time.Duration) {
	t.mu.Lock()
	t.t.Count++
	t.t.Total += d
	t.t.Max = max(t.t.Max, d)
	t.mu.Unlock()
}

func (t *timing) get() Timing {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.t
}

// Stats returns the counters so far; safe from any goroutine.
func (m *Mixer) Stats() Stats {
	s := &m.stats
	return Stats{
		VideoFrames: s.videoFrames.Load(), VideoBytes: s.videoBytes.Load(), Keyframes: s.keyframes.Load(),
		H264Frames: s.h264Frames.Load(), H264Bytes: s.h264Bytes.Load(), H264Keyframes: s.h264Keyframes.Load(), H264Dropped: s.h264Dropped.Load(),
		DroppedFrames: s.dropped.Load(), LateTicks: s.lateTicks.Load(), AudioFrames: s.audioFrames.Load(),
		Compose: s.compose.get(), Encode: s.encode.get(),
		Speed: int(s.speed.Load()), ScreenContent: s.screen.Load(), SpeedUps: s.speedUps.Load(), SpeedDowns: s.speedDowns.Load(),
		H264Presets: s.h264Presets.Load(),
	}
}
