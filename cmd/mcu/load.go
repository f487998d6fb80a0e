package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"mcu/codec"
	"mcu/internal/sched"
	"mcu/loadtest"
	"mcu/offline"
)

const loadUsage = `usage: mcu load [-url URL] [-room R] [-n N] [flags] [PARTICIPANT...]

Load-tests a running mcu server: N participants join room R one after the
other (-ramp apart), each sending clips in a loop as a camera and microphone
would, and receiving the mix. Every receiver counts the mix's frames from
RTP; the first -decoders ones also decode it and check the picture. A line
of progress is printed every second and a summary at the end (or at Ctrl-C):
join-to-first-frame, fps, freezes, the server's CPU and memory (from /proc
when it runs on this machine), its /metrics over the run, and the codec cost
of the same load measured here before and after the run.

Each PARTICIPANT is VIDEO, AUDIO or VIDEO+AUDIO, as for mcu mix (files
recognised by content); they are reused round robin. Without any, participant
k sends DIR/pKK.ivf and DIR/pKK.ogg from -testdata (p01..p09, round robin).

Exit status: 0 (also when the mix was poor: read the summary), 1 when the
server cannot be reached or nobody joined, 2 for a mistake on the command line.

flags:
`

// runLoad runs the load (a variable for the tests of the flags).
var runLoad = loadtest.Run

func loadCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := loadtest.DefaultConfig()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadUsage); fs.PrintDefaults() }
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the server's base `URL`")
	fs.StringVar(&cfg.Room, "room", "load", "`room` to join")
	fs.IntVar(&cfg.N, "n", 4, "number of participants")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "length of the run, joins included")
	fs.DurationVar(&cfg.Ramp, "ramp", cfg.Ramp, "time between two joins")
	fs.IntVar(&cfg.Decoders, "decoders", cfg.Decoders, "participants that decode the mix and check it (decoding is costly)")
	fs.IntVar(&cfg.H264, "h264", 0, "participants (the first ones) that take the mix in H.264, sending VP8 on a section of their own (the room encodes both)")
	fs.IntVar(&cfg.Lossy, "lossy", 0, "participants (the last ones) that lose every fourth packet of the mix, as on a congested link")
	fs.IntVar(&cfg.Capped, "capped", 0, "participants (the last ones before the lossy ones) that receive the mix's video through a link of -link bit/s")
	link := fs.String("link", "500k", "the capped participants' link `rate` for the mix's video")
	fs.StringVar(&cfg.Token, "token", "", "the server's -auth-token, if it has one (prefer the variable: other users see a command line) [MCU_AUTH_TOKEN]")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process `id` (default: the local process listening on the URL's port)")
	fs.DurationVar(&cfg.CostMedia, "cost", cfg.CostMedia, "media decoded and encoded to measure the codec cost (0: skip)")
	dir := fs.String("testdata", "testdata", "`folder` of the default clips")
	size := fs.String("size", "1280x720", "the server's canvas `WxH` (for the check and the codec cost)")
	fs.IntVar(&cfg.Mixer.Video.FPS, "fps", cfg.Mixer.Video.FPS, "the server's frame rate (for the codec cost)")
	bitrate := fs.String("bitrate", "1500k", "the server's video `bitrate` (for the codec cost)")
	abitrate := fs.String("audio-bitrate", "64k", "the server's Opus `bitrate` (for the codec cost)")
	fs.IntVar(&cfg.Mixer.Video.Speed, "speed", cfg.Mixer.Video.Speed, "the server's libvpx cpu-used (for the codec cost)")
	fs.IntVar(&cfg.Mixer.Voices, "voices", cfg.Mixer.Voices, "the server's -voices: how many people's sound its mixes take (for the codec cost)")
	verbose := fs.Bool("v", false, "log codec warnings")
	nice := fs.Int("nice", 10, "run at this nice value, below the server it measures on the same machine (0: leave it)")
	if done, err := parseFlags(fs, args, true); done {
		return err
	}
	if cfg.Token == "" { // not the flag's default: the usage text would show it
		cfg.Token = os.Getenv("MCU_AUTH_TOKEN")
	}
	var err error
	if cfg.Mixer.Video.Width, cfg.Mixer.Video.Height, err = parseSize(*size); err != nil {
		return usageError{err}
	}
	if cfg.Mixer.Video.Bitrate, err = parseBitrate(*bitrate); err != nil {
		return usageError{fmt.Errorf("-bitrate: %w", err)}
	}
	if cfg.Mixer.Audio.Bitrate, err = parseBitrate(*abitrate); err != nil {
		return usageError{fmt.Errorf("-audio-bitrate: %w", err)}
	}
	if cfg.Link, err = parseBitrate(*link); err != nil {
		return usageError{fmt.Errorf("-link: %w", err)}
	}
	cfg.Mixer.Video.KeyframeInterval = 5 * cfg.Mixer.Video.FPS // as serve sets it
	if *nice != 0 {
		// On one machine the load stands for people on other machines: it
		// should not take CPU from the server at the server's priority.
		if err := sched.Background(*nice); err != nil {
			fmt.Fprintf(stderr, "mcu load: %v (running at the default priority)\n", err)
		}
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelWarn
	}
	codec.SetLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))

	if fs.NArg() == 0 {
		cfg.Clips = loadtest.DefaultClips(*dir, min(cfg.N, loadtest.DefaultClipCount))
		for _, c := range cfg.Clips {
			for _, path := range []string{c.Video, c.Audio} {
				if _, err := os.Stat(path); err != nil {
					return usageError{fmt.Errorf("default clip %s: %w (run from the repository, or give -testdata or PARTICIPANT files)", path, err)}
				}
			}
		}
	}
	for _, arg := range fs.Args() {
		// Read as mcu mix reads them.
		p, err := offline.ParseParticipant(arg)
		if err != nil {
			return usageError{err}
		}
		for _, s := range p.Skipped {
			fmt.Fprintf(stderr, "mcu load: not sent: %s (it sends VP8, VP9, AV1 and H.264 video and Opus audio, one stream of each)\n", s)
		}
		for _, s := range p.Unused {
			fmt.Fprintf(stderr, "mcu load: not sent: %s (the other file of the pair gives it)\n", s)
		}
		cfg.Clips = append(cfg.Clips, loadtest.Clip{Video: p.Video, Audio: p.Audio})
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}

	res, err := runLoad(ctx, cfg, stdout)
	if res != nil {
		res.WriteSummary(stdout)
	}
	return err
}
