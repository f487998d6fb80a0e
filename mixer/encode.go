package mixer

import (
	"context"
	"image"
	"sync"
	"time"

	"mcu/codec"
)

// encodePipe runs the video encoder in its own goroutine, one picture behind
// the compositor: the canvas is copied into one of two buffers, so the next
// picture can be composed while this one is encoded.
type encodePipe struct {
	enc   *codec.VP8Encoder
	out   Output
	stats *stats
	fail  context.CancelCauseFunc

	setup func() // run first in the encoder goroutine, may be nil

	jobs chan encodeJob
	free chan *image.YCbCr
	done sync.WaitGroup
	err  error // first encoder or output error, read after done
}

type encodeJob struct {
	img      *image.YCbCr
	pts      time.Duration
	key      bool
	bitrate  int
	arrivals []time.Time // of live pictures shown for the first time
}

func newEncodePipe(enc *codec.VP8Encoder, out Output, st *stats, fail context.CancelCauseFunc, setup func()) *encodePipe {
	p := &encodePipe{enc: enc, out: out, stats: st, fail: fail, setup: setup,
		jobs: make(chan encodeJob, 1), free: make(chan *image.YCbCr, 2)}
	cfg := enc.Config()
	for range cap(p.free) {
		p.free <- codec.NewImage(cfg.Width, cfg.Height)
	}
	p.done.Go(p.run)
	return p
}

// buffer returns a free picture buffer; with wait false it returns nil when
// the encoder is still busy with both.
func (p *encodePipe) buffer(ctx context.Context, wait bool) (*image.YCbCr, error) {
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

func (p *encodePipe) submit(j encodeJob) { p.jobs <- j }

func (p *encodePipe) run() {
	if p.setup != nil {
		p.setup()
	}
	for j := range p.jobs {
		if p.err != nil {
			p.free <- j.img
			continue
		}
		if j.bitrate != p.enc.Config().Bitrate {
			if err := p.enc.SetBitrate(j.bitrate); err != nil {
				p.stop(err)
			}
		}
		start := time.Now()
		f, err := p.enc.Encode(j.img, j.pts, j.key)
		p.free <- j.img
		p.stats.encode.observe(time.Since(start))
		obs := p.stats.obs
		if obs != nil {
			obs.Encode(time.Since(start))
		}
		if err != nil {
			p.stop(err)
			continue
		}
		if f.Data == nil {
			continue
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
		if err := p.out.Video(f); err != nil {
			p.stop(err)
		}
	}
}

func (p *encodePipe) stop(err error) {
	p.err = err
	p.fail(err)
}

// close waits for the encoder to finish the queued picture, frees it and
// returns its first error.
func (p *encodePipe) close() error {
	close(p.jobs)
	p.done.Wait()
	p.enc.Close()
	return p.err
}
