package mixer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"mcu/codec"
	"mcu/internal/sched"
)

// encodePipe runs the video encoder in its own goroutine, one picture behind
// the compositor: the compositor paints one of two encoder input pictures in
// place while the encoder encodes the other. A canvas belongs to whoever
// holds it: the free channel, the compositor painting it, or the encoder
// goroutine.
type encodePipe struct {
	enc   *codec.VP8Encoder
	out   Output
	stats *stats
	fail  context.CancelCauseFunc
	log   *slog.Logger

	// The H.264 encoder, open while jobs ask for it (Mixer.SetH264); owned
	// by the encoder goroutine. h264Failed: it could not open or encode,
	// warned about once; not retried until the output is turned off and
	// on again.
	h264       *codec.H264Encoder
	h264Failed bool

	setup func() // run first in the encoder goroutine, may be nil

	jobs chan encodeJob
	free chan *canvas
	done sync.WaitGroup
	err  error // first encoder or output error, read after done
}

// canvas is one of the encoder's input pictures. Each keeps what its tiles
// show (in every member's painted[slot]), so a tile is repainted only when
// it changed since this canvas was last painted.
type canvas struct {
	pic  *codec.Picture
	slot int
	gen  int // the layout generation the canvas was cleared for (-1: none)
}

// newCanvas is canvas slot, drawn on pic; its memory is not cleared yet.
func newCanvas(pic *codec.Picture, slot int) *canvas { return &canvas{pic: pic, slot: slot, gen: -1} }

type encodeJob struct {
	c        *canvas
	pts      time.Duration
	key      bool
	h264     bool // encode to H.264 too
	h264Key  bool
	bitrate  int
	arrivals []time.Time // of live pictures shown for the first time
}

func newEncodePipe(enc *codec.VP8Encoder, out Output, st *stats, log *slog.Logger, fail context.CancelCauseFunc, setup func()) (*encodePipe, error) {
	p := &encodePipe{enc: enc, out: out, stats: st, log: log, fail: fail, setup: setup,
		jobs: make(chan encodeJob, canvases), free: make(chan *canvas, canvases)}
	for i := range canvases {
		pic, err := enc.NewPicture()
		if err != nil {
			p.freePictures()
			return nil, err
		}
		p.free <- newCanvas(pic, i)
	}
	p.done.Go(p.run)
	return p, nil
}

// buffer returns a free canvas; with wait false it returns nil when the
// encoder is still busy with both.
func (p *encodePipe) buffer(ctx context.Context, wait bool) (*canvas, error) {
	if !wait {
		select {
		case b := <-p.free:
			return b, nil
		default:
			return nil, nil
		}
	}
	select {
	case b := <-p.free:
		return b, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// submit never blocks: there are as many places for jobs as canvases, so
// a tick whose picture comes while the encoder's goroutine is still
// handing on the frame before (writing it to every receiver) does not
// wait for it, nor do the sound's ticks behind it.
func (p *encodePipe) submit(j encodeJob) { p.jobs <- j }

func (p *encodePipe) run() {
	if p.setup != nil {
		p.setup()
	}
	for j := range p.jobs {
		if p.err != nil {
			p.free <- j.c
			continue
		}
		f, err := p.encodeVP8(j)
		if !j.h264 {
			p.closeH264()
			p.free <- j.c
		}
		if err != nil {
			p.stop(err)
		} else if f.Data != nil {
			if err := p.out.Video(f); err != nil {
				p.stop(err)
			}
		}
		if j.h264 {
			// After the VP8 picture has gone out: its receivers do not
			// wait for this one.
			h, ok := p.encodeH264(j)
			p.free <- j.c
			if ok && p.err == nil {
				if err := p.out.Video(h); err != nil {
					p.stop(err)
				}
			}
		}
	}
	p.closeH264()
}

// encodeVP8 encodes the job's canvas with the room's VP8 encoder and
// counts it.
func (p *encodePipe) encodeVP8(j encodeJob) (codec.EncodedFrame, error) {
	if j.bitrate != p.enc.Config().Bitrate {
		if err := p.enc.SetBitrate(j.bitrate); err != nil {
			return codec.EncodedFrame{}, err
		}
	}
	obs := p.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
	}
	start := time.Now()
	f, err := p.enc.EncodePicture(j.c.pic, j.pts, j.key)
	wall := time.Since(start)
	if obs != nil {
		obs.CPU(StageVideoEncode, span.End())
		obs.Encode(wall)
	}
	p.stats.encode.observe(wall)
	if err != nil || f.Data == nil {
		return f, err
	}
	p.stats.videoFrames.Add(1)
	p.stats.videoBytes.Add(uint64(len(f.Data)))
	if f.Key {
		p.stats.keyframes.Add(1)
	}
	if obs != nil {
		if f.Key {
			obs.Keyframe(j.key)
		}
		now := time.Now()
		for _, a := range j.arrivals {
			obs.Latency(now.Sub(a))
		}
	}
	return f, nil
}

// encodeH264 encodes the job's canvas to H.264, opening the encoder
// first if it is not open. A failure is warned about and turns the
// H.264 output off until a job without it: the VP8 output and the room
// go on.
func (p *encodePipe) encodeH264(j encodeJob) (codec.EncodedFrame, bool) {
	if p.h264Failed {
		return codec.EncodedFrame{}, false
	}
	fail := func(err error) (codec.EncodedFrame, bool) {
		p.log.Warn("h264 output stopped: its receivers get no picture", "err", err)
		p.closeH264()
		p.h264Failed = true
		return codec.EncodedFrame{}, false
	}
	if p.h264 == nil {
		cfg := p.enc.Config().H264()
		cfg.Bitrate = j.bitrate
		enc, err := codec.NewH264Encoder(cfg)
		if err != nil {
			return fail(err)
		}
		p.h264 = enc
	} else if j.bitrate != p.h264.Config().Bitrate {
		if err := p.h264.SetBitrate(j.bitrate); err != nil {
			return fail(err)
		}
	}
	obs := p.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
	}
	f, err := p.h264.EncodePicture(j.c.pic, j.pts, j.h264Key)
	if obs != nil {
		obs.CPU(StageVideoEncode, span.End())
	}
	if err != nil {
		return fail(err)
	}
	if f.Data == nil {
		return f, false
	}
	p.stats.h264Frames.Add(1)
	p.stats.h264Bytes.Add(uint64(len(f.Data)))
	if f.Key {
		p.stats.h264Keyframes.Add(1)
		if obs != nil {
			obs.Keyframe(j.h264Key)
		}
	}
	return f, true
}

// closeH264 frees the H.264 encoder, if open, and forgets a failure.
func (p *encodePipe) closeH264() {
	if p.h264 != nil {
		p.h264.Close()
		p.h264 = nil
	}
	p.h264Failed = false
}

// stop keeps the first error and cancels the mixer with it; the jobs
// still queued only give their canvases back.
func (p *encodePipe) stop(err error) {
	if p.err == nil {
		p.err = err
	}
	p.fail(err)
}

// close waits for the encoder to finish the queued picture, frees the
// pictures and the encoder, and returns its first error.
func (p *encodePipe) close() error {
	close(p.jobs)
	p.done.Wait()
	p.freePictures()
	p.enc.Close()
	return p.err
}

func (p *encodePipe) freePictures() {
	for {
		select {
		case c := <-p.free:
			c.pic.Free()
		default:
			return
		}
	}
}
