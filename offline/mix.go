package offline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"mcu/codec"
	"mcu/layout"
	"mcu/mixer"
	"mcu/recorder"
)

// Options configure an offline mix.
type Options struct {
	// Output is the WebM file to write; it must not exist.
	Output string
	// Mixer holds canvas size, fps, bitrates and layout.
	Mixer mixer.Config
	// RawVideo, when set, also receives the uncompressed composite as a
	// YUV4MPEG2 stream (for measuring the encoder's quality).
	RawVideo string
	// Realtime paces the mix with the wall clock, as a live room would run;
	// the result is the same.
	Realtime bool
	// Progress, when set, is called from time to time with the media time
	// written so far and the total.
	Progress func(done, total time.Duration)
	Logger   *slog.Logger
}

// Result describes a finished (or interrupted) mix.
type Result struct {
	Output string
	// Unfinished: Output, kept after an interruption, could not be
	// finalized (its disk full): it plays up to its last cluster, without
	// duration and cues, until recorder.FinishFile (mcu finish) mends it.
	Unfinished  bool
	Duration    time.Duration // of the output
	VideoFrames int
	AudioFrames int
	Warnings    int // damaged frames skipped or concealed, damaged timestamps repaired
	Gaps        int // gaps in the inputs' sound (lost packets, pauses), filled
	Stats       mixer.Stats
}

// Mix composes the participants into opts.Output. The output lasts as long
// as the longest input. When ctx ends early the file written so far is
// finalized (it plays, with duration and cues) and ctx's error is returned;
// when it fails otherwise, the output is removed.
func Mix(ctx context.Context, parts []Participant, opts Options) (Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(parts) == 0 {
		return Result{}, errors.New("offline: no participants")
	}
	var total time.Duration
	var empty []string
	for i := range parts {
		if parts[i].Video == "" && parts[i].Audio == "" {
			return Result{}, fmt.Errorf("offline: participant %d has no media", i+1)
		}
		if err := parts[i].measure(ctx); err != nil {
			return Result{}, err
		}
		total = max(total, parts[i].length)
		for _, c := range parts[i].cut {
			log.Warn("the file looks cut short (a copy not finished?): the clip ends where it does", "input", c)
		}
		for _, d := range parts[i].doubts {
			log.Warn("timing looks damaged (a time base in the file's header?): "+d, "input", parts[i].files(), "mix_length", parts[i].length.Round(time.Millisecond))
		}
		if parts[i].length <= 0 {
			empty = append(empty, parts[i].files())
		}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err // stopped while measuring: no file made
	}
	if total <= 0 {
		return Result{}, fmt.Errorf("offline: no picture or sound read from the inputs (empty, or damaged from their start): %s", strings.Join(empty, ", "))
	}
	for _, f := range empty {
		log.Warn("no picture or sound read from the input (empty, or damaged from its start): its tile stays a placeholder", "input", f)
	}
	vc := opts.Mixer.Video
	w, err := recorder.CreateWebM(opts.Output, recorder.WebMConfig{Width: vc.Width, Height: vc.Height, FPS: vc.FPS, Reproducible: true})
	if err != nil {
		return Result{}, err
	}
	var rawFile *os.File // made here, so that only a file this mix made is removed
	if opts.RawVideo != "" {
		if rawFile, err = os.OpenFile(opts.RawVideo, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			err = fmt.Errorf("offline: raw video: %w", err)
		}
	}
	var res Result
	if err == nil {
		out := &fileOutput{w: w, total: total, progress: opts.Progress}
		res, err = run(ctx, parts, opts, out, rawFile, total, log) // closes rawFile
	}
	if cerr := w.Close(); cerr != nil {
		err = errors.Join(err, cerr)
		res.Unfinished = true
	}
	res.Output = opts.Output
	res.Duration = w.Duration()
	res.VideoFrames, res.AudioFrames = w.VideoFrames, w.AudioFrames
	if err != nil && (ctx.Err() == nil || res.VideoFrames+res.AudioFrames == 0) {
		// Failed, or interrupted before anything was written: what is
		// there is not the mix, and left there it would stop the next
		// attempt ("file exists").
		if rerr := os.Remove(opts.Output); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if rawFile != nil {
			if rerr := os.Remove(opts.RawVideo); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
		res.Output = ""
	}
	return res, err
}

// run mixes into out, and into rawFile when it is not nil; it closes
// rawFile.
func run(ctx context.Context, parts []Participant, opts Options, out *fileOutput, rawFile *os.File, total time.Duration, log *slog.Logger) (Result, error) {
	cfg := opts.Mixer
	cfg.Live = false
	cfg.Logger = log
	var raw *y4mWriter
	if rawFile != nil {
		defer rawFile.Close() // on the early returns; closed and checked below otherwise
		raw = newY4MWriter(bufio.NewWriterSize(rawFile, 1<<20), cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS)
		cfg.Tap = func(img *image.YCbCr, _ time.Duration) error { return raw.write(img) }
	}
	m, err := mixer.New(cfg, out)
	if err != nil {
		return Result{}, err
	}
	g, gctx := errgroup.WithContext(ctx)
	// Decoders share the cores the encoder does not use: the encoder is the
	// longest chain of work, and a decoder next to it on its core slows it.
	slots := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))
	var videos []*fileVideo
	var audios []*fileAudio
	// The speaker's tile, the largest any participant may have.
	largest := layout.Cells(layout.Speaker, len(parts), 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})[0].Size()
	// A share puts the mix in the speaker layout (mixer.Participant.Content).
	speaker := cfg.Layout != layout.Grid || slices.ContainsFunc(parts, func(p Participant) bool { return p.Content })
	for i, p := range parts {
		mp := mixer.Participant{ID: fmt.Sprint(i + 1), Name: p.Name, Content: p.Content}
		if p.Video != "" {
			v := newFileVideo(p.Video, p.videoInfo, time.Second/time.Duration(cfg.Video.FPS), slots, log)
			videos = append(videos, v)
			mp.Video = v
			if speaker { // tiles that change size as the mix goes
				mp.Video = v.fixTile(largest, mp.Aspect(cfg.Aspect))
			}
		}
		if p.Audio != "" {
			a := newFileAudio(p.Audio, p.audioInfo, log)
			audios = append(audios, a)
			mp.Audio = a
		}
		if err := m.Add(mp); err != nil {
			return Result{}, err // no goroutine started yet
		}
	}
	for _, v := range videos {
		g.Go(func() error { return v.run(gctx) })
	}
	for _, a := range audios {
		g.Go(func() error { return a.run(gctx) })
	}
	clock := mixer.AsFastAsPossible()
	if opts.Realtime {
		clock = mixer.RealTime()
	}
	g.Go(func() error {
		err := m.Run(gctx, clock, total)
		if err == nil {
			// Done: the decoders may still be reading tails nobody needs.
			return errDone
		}
		return err
	})
	err = g.Wait()
	if errors.Is(err, errDone) {
		err = nil
	}
	res := Result{Stats: m.Stats()}
	for _, v := range videos {
		res.Warnings += v.corrupt + v.skipped // damaged, and dropped until the next keyframe
	}
	for _, a := range audios {
		res.Warnings += a.corrupt
		res.Gaps += a.gaps
	}
	if raw != nil {
		// A write error may only show when the file is closed.
		if rerr := errors.Join(raw.flush(), rawFile.Close()); rerr != nil && err == nil {
			err = fmt.Errorf("offline: raw video: %w", rerr)
		}
	}
	return res, err
}

// errDone stops the decoders once the mixer has produced everything.
var errDone = errors.New("offline: done")

// fileOutput writes the mixer's output to the WebM file; video comes from
// the encoder goroutine and audio from the mixer goroutine.
type fileOutput struct {
	mu       sync.Mutex
	w        *recorder.WebMWriter
	total    time.Duration
	progress func(done, total time.Duration)
	lastTick time.Time
}

func (o *fileOutput) Video(f codec.EncodedFrame) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.w.WriteVideo(f); err != nil {
		return err
	}
	if o.progress != nil && time.Since(o.lastTick) > 100*time.Millisecond {
		o.lastTick = time.Now()
		o.progress(f.PTS+f.Duration, o.total)
	}
	return nil
}

func (o *fileOutput) Audio(f codec.EncodedFrame) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.WriteAudio(f)
}

func (o *fileOutput) MixMinus(string, codec.EncodedFrame) error { return nil }
