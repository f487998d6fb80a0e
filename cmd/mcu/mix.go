package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"mcu/internal/sched"
	"mcu/mixer"
	"mcu/offline"
	"mcu/recorder"
)

const mixUsage = `usage: mcu mix -o OUT.webm [flags] PARTICIPANT...

Each PARTICIPANT is one person: VIDEO, AUDIO or VIDEO+AUDIO, for example
  mcu mix -o meeting.webm a.ivf+a.ogg b.h264+b.ogg c.ivf d.ogg
Files are recognised by content: VP8/VP9/AV1 in IVF, H.264 Annex B, Opus in Ogg,
and WebM, Matroska or MP4 holding those. A person without video gets a placeholder tile; without audio,
silence. The output lasts as long as the longest input.

flags:
`

func mixCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := mixer.DefaultConfig()
	fs := flag.NewFlagSet("mix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mixUsage); fs.PrintDefaults() }
	out := fs.String("o", "", "output WebM `file` (must not exist)")
	size := fs.String("size", "1280x720", "canvas `WxH`")
	fs.IntVar(&cfg.Video.FPS, "fps", cfg.Video.FPS, "output frame rate")
	bitrate := fs.String("bitrate", "1500k", "video `bitrate` in bit/s (k and M suffixes)")
	abitrate := fs.String("audio-bitrate", "64k", "Opus `bitrate` in bit/s")
	fs.TextVar(&cfg.Layout, "layout", cfg.Layout, "`layout`: grid or speaker")
	fs.TextVar(&cfg.Aspect, "aspect", cfg.Aspect, "how pictures fill their tile: fit (letterbox) or fill (crop)")
	fs.IntVar(&cfg.Video.Speed, "speed", cfg.Video.Speed, "libvpx cpu-used, negative (fixed speed; -16 fastest)")
	fs.IntVar(&cfg.Video.Threads, "threads", cfg.Video.Threads, "encoder threads")
	fs.IntVar(&cfg.Voices, "voices", 0, "at most this many people's sound in the mix, the loudest at each moment; 0: everyone's")
	content := fs.String("content", "", "`list` of participants (numbered from 1, as given, comma-separated) whose video is shared content, a screen or slides: shown large and whole, the mix in the speaker layout")
	keyint := fs.Duration("keyint", 5*time.Second, "time between periodic keyframes")
	raw := fs.String("y4m", "", "also write the uncompressed composite to this YUV4MPEG2 `file`")
	realtime := fs.Bool("realtime", false, "pace the mix in real time, as a live room (same result)")
	quiet := fs.Bool("q", false, "no progress bar, only warnings and errors")
	verbose := fs.Bool("v", false, "log more")
	if done, err := parseFlags(fs, args, true); done {
		return err
	}
	if *out == "" {
		return usageError{errors.New("-o OUT.webm is required")}
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("no participants (see mcu mix -h)")}
	}
	var err error
	if cfg.Video.Width, cfg.Video.Height, err = parseSize(*size); err != nil {
		return usageError{err}
	}
	if cfg.Video.Bitrate, err = parseBitrate(*bitrate); err != nil {
		return usageError{fmt.Errorf("-bitrate: %w", err)}
	}
	if cfg.Audio.Bitrate, err = parseBitrate(*abitrate); err != nil {
		return usageError{fmt.Errorf("-audio-bitrate: %w", err)}
	}
	if *keyint <= 0 || *keyint > time.Hour {
		return usageError{fmt.Errorf("-keyint %v: want a time above 0 and at most an hour", *keyint)}
	}
	cfg.Video.KeyframeInterval = max(1, int(keyint.Seconds()*float64(cfg.Video.FPS)))
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if *raw != "" {
		a, aerr := filepath.Abs(*out)
		b, berr := filepath.Abs(*raw)
		if aerr == nil && berr == nil && a == b {
			return usageError{fmt.Errorf("-o and -y4m name the same file %s", *out)}
		}
	}
	if ext := strings.ToLower(filepath.Ext(*out)); ext != ".webm" && ext != ".mkv" {
		fmt.Fprintf(stderr, "mcu mix: note: %s will hold WebM (VP8 + Opus), whatever its name says\n", *out)
	}
	// Before the inputs are read, which may take a while.
	for _, f := range []string{*out, *raw} {
		if _, err := os.Lstat(f); f != "" && err == nil {
			if un, _ := recorder.Unfinished(f); un && f == *out {
				// A mix killed before its end (SIGKILL, a reboot): its file
				// plays up to where it stopped, but nothing can seek in it.
				return fmt.Errorf("%s: file exists, unfinished (a mix killed before its end?): mcu finish %s makes it seekable; or remove it to mix again (mcu mix does not overwrite)", f, f)
			}
			return fmt.Errorf("%s: file exists (mcu mix does not overwrite)", f)
		}
	}

	// Warnings go to the terminal the bar is on: each clears the bar's
	// line first, and the bar comes back below it at its next step.
	bar := newProgressBar(stdout, !*quiet)
	log := newLogger(bar.clearing(stderr), slog.LevelWarn, *verbose)

	var parts []offline.Participant
	for _, arg := range fs.Args() {
		if _, err := os.Stat(arg); err != nil && strings.HasPrefix(arg, "-") && !strings.Contains(arg, "+") {
			return usageError{fmt.Errorf("%s after the participants: flags go before them", arg)}
		}
		p, err := offline.ParseParticipant(arg)
		if err != nil {
			return err
		}
		for _, s := range p.Skipped {
			log.Warn("not read: mcu reads VP8, VP9, AV1 and H.264 video and Opus audio, one stream of each", "stream", s)
		}
		for _, s := range p.Relabelled {
			log.Warn("header names another codec than the frames hold", "file", s)
		}
		for _, s := range p.Unused {
			log.Warn("not used: the other file of the pair gives this", "stream", s)
		}
		parts = append(parts, p)
	}
	if err := markContent(parts, *content); err != nil {
		return usageError{err}
	}
	// The encoder, busy all the time, stays on one CPU (libvpx's own
	// threads, with -threads, would start there too: then not).
	if cfg.Video.Threads <= 1 {
		cfg.EncoderThread = sched.OwnCPU
	}
	opts := offline.Options{Output: *out, Mixer: cfg, RawVideo: *raw, Realtime: *realtime, Logger: log}
	opts.Progress = bar.update
	start := time.Now()
	res, err := offline.Mix(ctx, parts, opts)
	bar.done()
	if err != nil {
		switch {
		case ctx.Err() != nil && res.Output != "" && res.Unfinished:
			return fmt.Errorf("interrupted; %s could not be finalized (it plays up to about %v, without duration and cues): run mcu finish %s once its disk has room: %w",
				res.Output, res.Duration.Round(time.Millisecond), res.Output, err)
		case ctx.Err() != nil && res.Output != "":
			also := ""
			if *raw != "" {
				also = fmt.Sprintf(" (%s holds its pictures)", *raw)
			}
			return fmt.Errorf("interrupted; %s is finalized up to %v%s: %w", res.Output, res.Duration.Round(time.Millisecond), also, err)
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return errors.New("interrupted; no output written")
		}
		return err
	}
	st := res.Stats
	log.Info("mix done", "compose_mean", st.Compose.Mean(), "compose_max", st.Compose.Max,
		"encode_mean", st.Encode.Mean(), "encode_max", st.Encode.Max, "frames", st.VideoFrames,
		"keyframes", st.Keyframes, "video_bytes", st.VideoBytes)
	abs, _ := filepath.Abs(res.Output)
	people := "participants"
	if len(parts) == 1 {
		people = "participant"
	}
	fmt.Fprintf(stdout, "wrote %s: %v, %dx%d VP8 %d fps + Opus, %d %s, %d video frames in %v",
		abs, res.Duration.Round(time.Millisecond), cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS,
		len(parts), people, res.VideoFrames, time.Since(start).Round(time.Millisecond))
	if res.Warnings > 0 {
		fmt.Fprintf(stdout, ", %d damaged frames or timestamps skipped or repaired", res.Warnings)
	}
	switch {
	case res.Gaps == 1:
		fmt.Fprint(stdout, ", 1 gap in the sound filled")
	case res.Gaps > 1:
		fmt.Fprintf(stdout, ", %d gaps in the sound filled", res.Gaps)
	}
	fmt.Fprintln(stdout)
	return nil
}

// parseSize reads "WxH", all of it: "1280x720p" is refused, not read as
// 1280x720.
func parseSize(s string) (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	// Digits alone: Atoi takes a sign too ("+640x+360").
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	ok = ok && digits(ws) && digits(hs)
	if ok {
		w, err = strconv.Atoi(ws)
		if err == nil {
			h, err = strconv.Atoi(hs)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("-size %q: want WxH, e.g. 1280x720", s)
	}
	return w, h, nil
}

// parseBitrate reads "1500000", "1500k" or "1.5M", all of it ("800kbit" is
// refused, not read as 800).
func parseBitrate(s string) (int, error) {
	num, mult := s, 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		num, mult = s[:len(s)-1], 1e3
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		num, mult = s[:len(s)-1], 1e6
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || v*mult > math.MaxInt32 {
		return 0, fmt.Errorf("bad bitrate %q: want bit/s, such as 1500000, 1500k or 1.5M", s)
	}
	return int(v * mult), nil
}

// progressBar draws one line on a terminal; elsewhere it stays silent.
type progressBar struct {
	w  io.Writer
	on bool

	mu    sync.Mutex
	shown bool // the bar is on the line now
}

func newProgressBar(w io.Writer, want bool) *progressBar {
	f, ok := w.(*os.File)
	on := false
	if ok && want {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progressBar{w: w, on: on}
}

func (b *progressBar) update(done, total time.Duration) {
	if !b.on || total <= 0 {
		return
	}
	const width = 30
	frac := min(1, float64(done)/float64(total))
	n := int(frac * width)
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %v / %v ", strings.Repeat("#", n), strings.Repeat(" ", width-n),
		frac*100, done.Round(100*time.Millisecond), total.Round(100*time.Millisecond))
	b.shown = true
}

// clear takes the bar off its line, if it is there; b.mu is held.
func (b *progressBar) clear() {
	if b.shown {
		fmt.Fprint(b.w, "\r\033[K")
		b.shown = false
	}
}

func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
}

// clearing returns w, which takes the bar off its line before each write:
// for the log, so that a warning is not written after the bar on its line.
func (b *progressBar) clearing(w io.Writer) io.Writer { return barClearing{w, b} }

type barClearing struct {
	w   io.Writer
	bar *progressBar
}

// Write holds the bar back until the line is written.
func (c barClearing) Write(p []byte) (int, error) {
	c.bar.mu.Lock()
	defer c.bar.mu.Unlock()
	c.bar.clear()
	return c.w.Write(p)
}

// markContent marks the participants list names (numbered from 1, as
// given, comma-separated; "" none) as shared content.
func markContent(parts []offline.Participant, list string) error {
	if list == "" {
		return nil
	}
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > len(parts) {
			return fmt.Errorf("-content %q: want participant numbers from 1 to %d", list, len(parts))
		}
		if parts[n-1].Video == "" {
			return fmt.Errorf("-content: participant %d has no video to share", n)
		}
		parts[n-1].Content = true
	}
	return nil
}
