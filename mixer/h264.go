package mixer

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"mcu/codec"
	"mcu/internal/sched"
)

// h264Pipe is the H.264 output (Mixer.SetH264): the composite encoded a
// second time, for the receivers that cannot take VP8, in a goroutine of
// its own from a copy of each canvas, so that the VP8 output never waits
// for it: not for x264 to open (a few ms), nor for its keyframes (12 ms
// and more at 720p), nor for a picture it is slow with. Live, a picture
// that comes while it is busy is dropped (offline, block: the encoder
// goroutine waits); a keyframe asked for with it goes with the next one.
//
// offer and stop are called from the encoder goroutine only; a run of the
// output (from the first offer after a stop to the next stop) has a
// goroutine, a picture and an encoder of its own, which it frees.
type h264Pipe struct {
	cfg   codec.H264Config // Bitrate is each job's
	out   Output
	stats *stats
	log   *slog.Logger
	fail  context.CancelCauseFunc // stops the mixer, on an error of the output
	block bool                    // offline: wait for the encoder rather than drop a picture
	setup func()                  // run first in each run's goroutine, may be nil

	// Of the current run, owned by the encoder goroutine.
	jobs      chan h264Job        // nil: not running
	idle      chan *codec.Picture // the run's picture while its goroutine waits
	level     codec.H264Level     // the run's (SetH264Level)
	keyOwed   bool                // a keyframe asked for with a dropped picture
	noPicture bool                // a run could not start: warned about
	// last is closed when the latest run's goroutine has ended: a run
	// hands on nothing before the one before it is over, so that the
	// output gets one run's pictures at a time, in order (a new run's
	// keyframe never before an old run's last picture).
	last chan struct{}

	runs sync.WaitGroup
}

type h264Job struct {
	pic     *codec.Picture
	pts     time.Duration
	key     bool
	bitrate int
	fast    bool // encode with strainPreset: the machine is short of CPU
}

// strainPreset is the x264 preset of an H.264 output while the room's
// VP8 encoder runs faster than its speed for the machine's strain: on the
// busy 720p composite 3.1 ms a picture against superfast's 4.5, for 2 dB
// less PSNR (BenchmarkH264Presets). x264 takes a new preset only when it
// opens, so each change reopens the encoder: a keyframe, at most at each
// of the VP8 encoder's first step up and last step back.
const strainPreset = "ultrafast"

// offer hands the job's canvas to the H.264 encoder, starting a run if
// none is going: copied into the run's picture if its goroutine is free,
// else dropped (or waited for, with block). fast: the machine is short of
// CPU (strainPreset).
func (h *h264Pipe) offer(j encodeJob, fast bool) {
	if h.jobs != nil && j.h264Level != h.level {
		h.stop() // another size, perhaps: another encoder
	}
	if h.jobs == nil && !h.start(j.h264Level) {
		return
	}
	var pic *codec.Picture
	if h.block {
		pic = <-h.idle
	} else {
		select {
		case pic = <-h.idle:
		default:
			h.keyOwed = h.keyOwed || j.h264Key
			h.stats.h264Dropped.Add(1)
			return
		}
	}
	obs := h.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
	}
	err := pic.CopyFrom(j.c.pic)
	if obs != nil {
		obs.CPU(StageH264Encode, span.End())
	}
	if err != nil { // not expected: the same size, both allocated
		h.log.Warn("h264 output: a picture not copied", "err", err)
		h.keyOwed = h.keyOwed || j.h264Key
		h.idle <- pic
		return
	}
	h.jobs <- h264Job{pic: pic, pts: j.pts, key: j.h264Key || h.keyOwed, bitrate: j.bitrate, fast: fast}
	h.keyOwed = false
}

// start begins a run for receivers of level l: its picture and goroutine
// (which opens the encoder). It reports false if the picture cannot be
// allocated.
func (h *h264Pipe) start(l codec.H264Level) bool {
	pic, err := codec.NewPicture(h.cfg.Width, h.cfg.Height)
	if err != nil {
		if !h.noPicture { // tried again at every picture: warned about once
			h.log.Warn("h264 output: no picture: its receivers get none", "err", err)
			h.noPicture = true
		}
		return false
	}
	h.noPicture = false
	h.jobs, h.idle, h.keyOwed, h.level = make(chan h264Job, 1), make(chan *codec.Picture, 1), false, l
	h.idle <- pic
	before, done := h.last, make(chan struct{})
	h.last = done
	cfg := h.cfg.ForLevel(l)
	if cfg.Width != h.cfg.Width || cfg.Height != h.cfg.Height {
		h.log.Info("h264 output: the canvas is beyond the level a receiver decodes: sent smaller",
			"level", l.String(), "canvas", fmt.Sprintf("%dx%d", h.cfg.Width, h.cfg.Height), "sent", fmt.Sprintf("%dx%d", cfg.Width, cfg.Height))
	}
	h.runs.Add(1)
	go h.run(cfg, h.jobs, h.idle, before, done)
	return true
}

// stop ends the current run, if any: its goroutine frees the encoder and
// the picture once done with the picture it has.
func (h *h264Pipe) stop() {
	if h.jobs != nil {
		close(h.jobs)
		h.jobs, h.idle = nil, nil
	}
}

// wait waits for every run to end (after stop).
func (h *h264Pipe) wait() { h.runs.Wait() }

// run encodes a run's pictures with an encoder of cfg, scaling them to
// its size first where it is not the canvas's. An encoder that cannot
// open or fails is warned about, closed, and opened again h264Retry
// later; meanwhile the run's pictures are given back unencoded (the VP8
// output and the room go on).
//
// It starts once the run before it (before, nil for the first) is over,
// and closes done when it is.
func (h *h264Pipe) run(cfg codec.H264Config, jobs <-chan h264Job, idle chan *codec.Picture, before <-chan struct{}, done chan<- struct{}) {
	defer h.runs.Done()
	defer close(done)
	// A thread of its own, for the run: the CPU time of each encode is
	// its thread's, and setup may change the thread's priority.
	runtime.LockOSThread()
	if h.setup != nil {
		h.setup()
	}
	if before != nil {
		<-before
	}
	var enc *codec.H264Encoder
	var small *scaledPicture // the canvas at cfg's size, if it differs
	if cfg.Width != h.cfg.Width || cfg.Height != h.cfg.Height {
		small = &scaledPicture{}
		defer small.free()
	}
	var failedAt time.Time // zero: not failed
	for j := range jobs {
		if !failedAt.IsZero() && time.Since(failedAt) >= h264Retry {
			failedAt = time.Time{}
		}
		preset := cfg.Preset
		if j.fast {
			preset = strainPreset
		}
		if enc != nil && enc.Config().Preset != preset {
			// Strained, or at ease again: x264 takes another preset
			// when it opens.
			h.log.Info("h264 output: another x264 preset for the machine's strain (the encoder opens again: a keyframe)",
				"preset", preset, "was", enc.Config().Preset)
			enc.Close()
			enc = nil
			h.stats.h264Presets.Add(1)
		}
		j.bitrate = cfg.Level.CapBitrate(j.bitrate)
		if failedAt.IsZero() {
			var err error
			if enc, err = h.encodeJob(enc, cfg, preset, small, j); err != nil {
				// The encoder failed: closed, and opened again after h264Retry.
				h.log.Warn("h264 output failed: its receivers get no picture until it opens again", "err", err, "retry", h264Retry)
				if enc != nil {
					enc.Close()
					enc = nil
				}
				failedAt = time.Now()
			}
		}
		idle <- j.pic
	}
	if enc != nil {
		enc.Close()
	}
	(<-idle).Free() // back from the last job: nobody else takes it now
}

// encodeJob encodes j's picture with enc, which it opens first when nil
// (at cfg's size, j's bitrate and preset), shrunk into small when that is
// set, and hands the frame to the output (whose error stops the mixer). It
// returns the encoder, and the error of the encoder or the shrink.
func (h *h264Pipe) encodeJob(enc *codec.H264Encoder, cfg codec.H264Config, preset string, small *scaledPicture, j h264Job) (*codec.H264Encoder, error) {
	if enc == nil {
		c := cfg
		c.Bitrate, c.Preset = j.bitrate, preset
		var err error
		if enc, err = newH264Encoder(c); err != nil {
			return nil, err
		}
	}
	pic := j.pic
	if small != nil {
		var err error
		if pic, err = h.shrink(small, j.pic, cfg.Width, cfg.Height); err != nil {
			return enc, err
		}
	}
	f, err := h.encode(enc, pic, j)
	if err != nil {
		return enc, err
	}
	if f.Data != nil {
		if err := h.out.Video(f); err != nil {
			h.fail(err)
		}
	}
	return enc, nil
}

// h264Retry is how long a failed H.264 encoder waits before it is opened
// again; newH264Encoder opens one (variables for tests).
var (
	h264Retry      = 10 * time.Second
	newH264Encoder = codec.NewH264Encoder
)

// scaledPicture is a picture the canvas is scaled into, and the scaler.
type scaledPicture struct {
	pic    *codec.Picture
	scaler codec.Scaler
}

func (s *scaledPicture) free() {
	s.pic.Free()
	s.scaler.Close()
}

// shrink scales the canvas pic into s's picture of w×h, which it
// allocates the first time, and returns it.
func (h *h264Pipe) shrink(s *scaledPicture, pic *codec.Picture, w, hgt int) (*codec.Picture, error) {
	obs := h.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
		defer func() { obs.CPU(StageH264Encode, span.End()) }()
	}
	if s.pic == nil {
		p, err := codec.NewPicture(w, hgt)
		if err != nil {
			return nil, err
		}
		s.pic = p
	}
	src, err := pic.Image()
	if err != nil {
		return nil, err
	}
	dst, err := s.pic.Image()
	if err != nil {
		return nil, err
	}
	if err := s.scaler.Scale(dst, dst.Rect, src, src.Rect); err != nil {
		return nil, fmt.Errorf("scale the canvas for the level: %w", err)
	}
	return s.pic, nil
}

// encode encodes pic, the job's, with enc and counts it.
func (h *h264Pipe) encode(enc *codec.H264Encoder, pic *codec.Picture, j h264Job) (codec.EncodedFrame, error) {
	if j.bitrate != enc.Config().Bitrate {
		if err := enc.SetBitrate(j.bitrate); err != nil {
			return codec.EncodedFrame{}, err
		}
	}
	obs := h.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
	}
	f, err := enc.EncodePicture(pic, j.pts, j.key)
	if obs != nil {
		obs.CPU(StageH264Encode, span.End())
	}
	if err != nil || f.Data == nil {
		return f, err
	}
	h.stats.h264Frames.Add(1)
	h.stats.h264Bytes.Add(uint64(len(f.Data)))
	if f.Key {
		h.stats.h264Keyframes.Add(1)
		if obs != nil {
			obs.Keyframe(j.key)
		}
	}
	return f, nil
}
