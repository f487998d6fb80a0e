package mixer

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
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

	h264 *h264Pipe // the H.264 output, run while jobs ask for it

	gov *speedGovernor // steps the speed up under strain (live), or nil
	// noScreen: the encoder cannot take screen content in place, and
	// shares are encoded as camera pictures (said once).
	noScreen bool
	log      *slog.Logger

	setup func() // run first in the encoder goroutine, may be nil

	jobs chan encodeJob
	free chan *canvas
	// keying is set while the VP8 encoder encodes a keyframe, for a tick
	// that finds it busy (Observer.Dropped).
	keying atomic.Bool
	done   sync.WaitGroup
	err    error // first encoder or output error, read after done
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
	c         *canvas
	pts       time.Duration
	key       bool
	h264      bool // encode to H.264 too
	h264Level codec.H264Level
	h264Key   bool
	bitrate   int
	twoLayers bool        // see Mixer.SetTwoLayers
	screen    bool        // a shared screen is in the picture (codec.VP8Encoder.SetScreenContent)
	arrivals  []time.Time // of live pictures shown for the first time
}

// newEncodePipe starts the encoder goroutine. wait: the H.264 output
// waits for its encoder instead of dropping a picture while it is busy
// (offline). gov, if not nil, steps the encoder's speed under strain.
func newEncodePipe(enc *codec.VP8Encoder, out Output, st *stats, log *slog.Logger, wait bool, fail context.CancelCauseFunc, gov *speedGovernor, setup, h264Setup func()) (*encodePipe, error) {
	p := &encodePipe{enc: enc, out: out, stats: st, fail: fail, gov: gov, setup: setup, log: log,
		jobs: make(chan encodeJob, canvases), free: make(chan *canvas, canvases),
		h264: &h264Pipe{cfg: enc.Config().H264(), out: out, stats: st, log: log, fail: fail, block: wait, setup: h264Setup}}
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
		if j.h264 {
			// A copy, before the VP8 encode: the two encode at once.
			// While the VP8 encoder runs faster for the machine's strain,
			// so does the H.264 one.
			p.h264.offer(j, p.gov != nil && int(p.stats.speed.Load()) < p.gov.base)
		} else {
			p.h264.stop()
		}
		f, err := p.encodeVP8(j)
		p.free <- j.c
		if err != nil {
			p.stop(err)
		} else if f.Data != nil {
			if err := p.out.Video(f); err != nil {
				p.stop(err)
			}
		}
	}
	p.h264.stop()
}

// encodeVP8 encodes the job's canvas with the room's VP8 encoder and
// counts it.
func (p *encodePipe) encodeVP8(j encodeJob) (codec.EncodedFrame, error) {
	if j.bitrate != p.enc.Config().Bitrate {
		if err := p.enc.SetBitrate(j.bitrate); err != nil {
			return codec.EncodedFrame{}, err
		}
	}
	p.enc.SetTwoLayers(j.twoLayers)
	if j.screen != p.enc.ScreenContent() && !p.noScreen {
		if err := p.enc.SetScreenContent(j.screen); err != nil {
			p.log.Warn("vp8 encoder: it cannot take shared screens as screen content while it runs: they are encoded as camera pictures", "err", err)
			p.noScreen = true
		}
		p.stats.screen.Store(p.enc.ScreenContent())
	}
	obs := p.stats.obs
	var span sched.CPUSpan
	if obs != nil {
		span = sched.StartCPU()
	}
	start := time.Now()
	p.keying.Store(j.key)
	f, err := p.enc.EncodePicture(j.c.pic, j.pts, j.key)
	p.keying.Store(false)
	wall := time.Since(start)
	if obs != nil {
		obs.CPU(StageVideoEncode, span.End())
		obs.Encode(wall)
	}
	p.stats.encode.observe(wall)
	if err != nil || f.Data == nil {
		return f, err
	}
	if p.gov != nil {
		p.governSpeed(wall)
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

// governSpeed gives the speed governor one picture's encode time and
// applies the speed it chooses, from the next picture on.
func (p *encodePipe) governSpeed(wall time.Duration) {
	cur := p.enc.Config().Speed
	next, p90 := p.gov.observe(time.Now(), wall, cur)
	if next == cur {
		return
	}
	if err := p.enc.SetSpeed(next); err != nil {
		p.log.Warn("vp8 encoder: its speed cannot change while it runs: it stays fixed", "err", err)
		p.gov = nil
		return
	}
	p.stats.speed.Store(int64(next))
	faster := next < cur
	if faster {
		p.stats.speedUps.Add(1)
		p.log.Info("the encoder takes too long for the frame rate (the machine is short of CPU): a faster speed, a little less quality",
			"speed", next, "was", cur, "encode_p90", p90.Round(100*time.Microsecond), "interval", p.gov.interval.Round(100*time.Microsecond))
	} else {
		p.stats.speedDowns.Add(1)
		p.log.Info("the encoder has time again: back a step to a slower, better speed",
			"speed", next, "was", cur, "encode_p90", p90.Round(100*time.Microsecond))
	}
	if obs := p.stats.obs; obs != nil {
		obs.EncoderSpeed(faster)
	}
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
	p.h264.wait()
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
