package offline

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/mixer"
)

func TestParseParticipant(t *testing.T) {
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	// A file whose name contains '+' is taken whole.
	plus := filepath.Join(t.TempDir(), "a+b.ivf")
	data, err := os.ReadFile(td("p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(plus, data, 0o644)
	// And beside another such file, each named whole in a pair.
	sound, err := os.ReadFile(td("p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	plusOgg := filepath.Join(filepath.Dir(plus), "c+d.ogg")
	os.WriteFile(plusOgg, sound, 0o644)
	// H.265, which starts with an access unit delimiter that H.264 would
	// read as an SEI: not taken for H.264.
	hevc := filepath.Join(filepath.Dir(plus), "clip.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:d=0.2",
		"-c:v", "libx265", "-x265-params", "aud=1:log-level=none", "-f", "hevc", hevc).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	// A QuickTime file with no ftyp box (its first box padding).
	qt := filepath.Join(filepath.Dir(plus), "old.mov")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:d=0.2",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mov", qt).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	if b, err := os.ReadFile(qt); err != nil || string(b[4:8]) != "ftyp" {
		t.Fatalf("%s: %v, first box %q", qt, err, b[4:8])
	} else {
		copy(b[4:8], "free")
		if err := os.WriteFile(qt, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A pipe would be read once, then block the next open.
	fifo := filepath.Join(filepath.Dir(plus), "pipe.ivf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg          string
		video, audio string
		name         string
		unused       []string
		err          string
	}{
		{arg: td("p01.ivf") + "+" + td("p01.ogg"), video: td("p01.ivf"), audio: td("p01.ogg"), name: "p01"},
		{arg: td("p01.ogg") + "+" + td("p02.h264"), video: td("p02.h264"), audio: td("p01.ogg"), name: "p02"},
		{arg: td("p12.webm"), video: td("p12.webm"), audio: td("p12.webm"), name: "p12"},
		{arg: td("p03.ogg"), audio: td("p03.ogg"), name: "p03"},
		{arg: plus, video: plus, name: "a+b"},
		{arg: plus + "+" + plusOgg, video: plus, audio: plusOgg, name: "a+b"},
		{arg: fifo, err: "not a regular file"},
		{arg: td("p01.ogg") + "+" + fifo, err: "not a regular file"},
		{arg: td("p01.ivf") + "+", err: "empty file name"},
		{arg: td("p01.ogg") + "+" + td("p02.ogg"), err: "two audio files"},
		{arg: td("p01.ivf") + "+" + td("p02.ivf"), err: "two video files"},
		{arg: td("p12.webm") + "+" + td("p12.webm"), err: "the same file twice"},
		// A WebM with its own sound, and another: the one that is only sound.
		{arg: td("p12.webm") + "+" + td("p01.ogg"), video: td("p12.webm"), audio: td("p01.ogg"), name: "p12",
			unused: []string{td("p12.webm") + ": audio"}},
		{arg: td("p02.ivf") + "+" + td("p12.webm"), video: td("p02.ivf"), audio: td("p12.webm"), name: "p02",
			unused: []string{td("p12.webm") + ": video"}},
		{arg: td("p01.ivf") + "+" + td("p01.ogg") + "+" + td("p12.webm"), err: "3 files for one participant"},
		{arg: td("p01.ivf") + "+" + td("p01.ogg") + "+" + td("nope.ogg"), err: td("nope.ogg") + ": "},
		{arg: td("notmedia.txt"), err: "not a media file"},
		{arg: hevc, err: "not a media file"},
		{arg: qt, video: qt, name: "old"},
	} {
		t.Run(filepath.Base(tc.arg), func(t *testing.T) {
			p, err := ParseParticipant(tc.arg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Video != tc.video || p.Audio != tc.audio || p.Name != tc.name {
				t.Errorf("got video %q audio %q name %q", p.Video, p.Audio, p.Name)
			}
			if !slices.Equal(p.Unused, tc.unused) || len(p.Skipped) != 0 {
				t.Errorf("unused %q, skipped %q; want %q and none", p.Unused, p.Skipped, tc.unused)
			}
		})
	}
}

// TestMeasure finds each clip's length from its packets, with and without
// timestamps in the container.
func TestMeasure(t *testing.T) {
	for _, arg := range []string{"p01.ivf", "p01.h264", "p01.ogg", "p12.webm"} {
		p, err := ParseParticipant(mediatest.TestdataPath(t, arg))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.measure(t.Context()); err != nil {
			t.Fatal(err)
		}
		if d := p.length - 3*time.Second; d < -40*time.Millisecond || d > 40*time.Millisecond {
			t.Errorf("%s lasts %v, want 3 s", arg, p.length)
		}
	}
}

// TestMeasureDamagedTimestamp: one frame's timestamp pushed five hours
// ahead (a damaged field) leaves the clip's length at 3 s, and the mix of
// it lasts 3 s with a warning, instead of five hours.
func TestMeasureDamagedTimestamp(t *testing.T) {
	path := mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), func(i int, pts uint64) uint64 {
		if i == 10 {
			return pts + 30*3600*5
		}
		return pts
	})
	p := measured(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 320, 180
	res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Duration - 3*time.Second; d < -40*time.Millisecond || d > 40*time.Millisecond {
		t.Errorf("the mix lasts %v, want 3 s", res.Duration)
	}
	if res.Warnings == 0 {
		t.Error("no warning about the damaged timestamp")
	}
}

// TestMixWarnsOfADamagedFrameSize: an IVF frame whose size field was
// damaged upwards takes the rest of the file with it; the clip ends there,
// and the mix says why, naming the file, where it used to say nothing.
func TestMixWarnsOfADamagedFrameSize(t *testing.T) {
	path := mediatest.DamageIVFSize(t, mediatest.TestdataPath(t, "p01.ivf"), 40, 0x40000000)
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer // slog's handler writes one record at a time
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 320, 180
	res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Warnings == 0 || !strings.Contains(logs.String(), "damaged packets") || !strings.Contains(logs.String(), path) {
		t.Errorf("%d warnings, logged:\n%s\nwant the damaged packet told, naming %s", res.Warnings, logs.String(), path)
	}
}

// TestParseParticipantNamesSkippedStreams: a file whose sound mcu does not
// read (AAC beside H.264 in MP4, as phones record) still gives its
// picture, and the stream left out is named, for the command to say so.
func TestParseParticipantNamesSkippedStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phone.mp4")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "h264", "-r", "30", "-i", mediatest.TestdataPath(t, "p01.h264"),
		"-i", mediatest.TestdataPath(t, "p01.ogg"), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-t", "1", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Video != path || p.Audio != "" {
		t.Errorf("video %q, audio %q: want the picture only", p.Video, p.Audio)
	}
	if want := []string{path + ": audio aac"}; !slices.Equal(p.Skipped, want) {
		t.Errorf("skipped %q, want %q", p.Skipped, want)
	}
	// With its sound from another file, nothing is missing.
	p, err = ParseParticipant(path + "+" + mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Audio == "" || len(p.Skipped) != 0 {
		t.Errorf("audio %q, skipped %q: want the Ogg's sound and nothing skipped", p.Audio, p.Skipped)
	}
}

// TestMeasureDamagedDuration: a packet whose duration says hours (a
// damaged MP4 sample table: the last Opus packet of a 3 s clip lasting
// 11.6 h) is taken as of unknown length: the clip lasts 3 s.
func TestMeasureDamagedDuration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "long.mp4")
	// setts counts in the stream's time base, 1/48000 s.
	args := []string{"-v", "error", "-i", mediatest.TestdataPath(t, "p01.ogg"), "-c", "copy",
		"-bsf:a", `setts=duration=if(eq(N\,150)\,2000000000\,DURATION)`, path}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
	// The file is damaged as meant: a packet lasting hours.
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=duration_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	longest := 0.0
	for line := range strings.Lines(string(out)) {
		if d, err := strconv.ParseFloat(strings.TrimSpace(line), 64); err == nil {
			longest = max(longest, d)
		}
	}
	if longest < 3600 {
		t.Fatalf("the longest packet lasts %.3f s: the file is not damaged as the test needs", longest)
	}
	measured(t, path)
}

// measured is the participant of the file at path, measured, which must
// last 3 s (the test clips' length).
func measured(t *testing.T, path string) Participant {
	t.Helper()
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.measure(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := p.length - 3*time.Second; d < -40*time.Millisecond || d > 40*time.Millisecond {
		t.Fatalf("the clip lasts %v, want 3 s", p.length)
	}
	return p
}

// TestSamplesAt: sample counts of durations, also of ones whose
// nanoseconds times 48000 overflow int64 (over 53 hours).
func TestSamplesAt(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{20 * time.Millisecond, 960},
		{time.Second + 500*time.Microsecond, 48024},
		{100 * time.Hour, 100 * 3600 * 48000},
		{math.MaxInt64, math.MaxInt64/int64(time.Second)*48000 + 41029}, // 0.854775807 s of the last second
	} {
		if got := samplesAt(tc.d); got != tc.want {
			t.Errorf("samplesAt(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestConcealLength(t *testing.T) {
	for _, c := range []struct {
		name string
		p    codec.Packet
		want int
	}{
		// TOC 0xf8 (config 31: CELT, 20 ms; one frame): the container's
		// 21 ms is its rounding.
		{"header says 20 ms", codec.Packet{Data: []byte{0xf8, 0x01, 0x02}, Duration: 21 * time.Millisecond}, 960},
		// TOC 0xe8: config 29, CELT, 5 ms.
		{"header says 5 ms", codec.Packet{Data: []byte{0xe8, 0xff}}, 240},
		{"no header, Matroska's 11 ms", codec.Packet{Duration: 11 * time.Millisecond}, 480},
		{"no header, 1 ms", codec.Packet{Duration: time.Millisecond}, 120},
		{"nothing known", codec.Packet{}, 960},
		{"no header, 10 s", codec.Packet{Duration: 10 * time.Second}, 5760},
	} {
		if got := concealLength(c.p); got != c.want {
			t.Errorf("%s: %d samples, want %d", c.name, got, c.want)
		}
	}
}

// TestTimingDoubts: pictures too fast or too slow on average, and picture
// and sound of very different lengths, are doubted; a screen share's
// sparse pictures, short clips and small differences are not.
func TestTimingDoubts(t *testing.T) {
	const s = time.Second
	for _, c := range []struct {
		name     string
		pictures int
		video    time.Duration
		audio    time.Duration
		want     []string // a piece of each doubt, in order
	}{
		{"a clip", 90, 3 * s, 3 * s, nil},
		{"picture alone", 90, 3 * s, 0, nil},
		{"sound alone", 0, 0, 3 * s, nil},
		{"header 1/1", 90, 90 * s, 3 * s, []string{"picture lasts 1m30s and its sound 3s"}},
		{"header 30/1", 90, 2700 * s, 3 * s, []string{"one every 30s", "picture lasts 45m0s"}},
		{"header 30/1, no sound", 90, 2700 * s, 0, []string{"one every 30s"}},
		{"header 1/30000", 90, 34 * time.Millisecond, 3 * s, []string{"span 34ms (over 240 a second)"}},
		{"no time at all", 90, 0, 3 * s, []string{"span 0s"}},
		{"a screen share", 30, 120 * s, 120 * s, nil},
		{"a picture every 10 s", 12, 120 * s, 120 * s, nil},
		{"a picture every 11 s", 12, 132 * s, 132 * s, []string{"one every 11s"}},
		{"few pictures", 9, 900 * s, 900 * s, nil},
		{"240 a second", 240, s, s, nil},
		{"sound 12 s longer, 5 times", 90, 3 * s, 15 * s, []string{"picture lasts 3s and its sound 15s"}},
		{"sound 9 s longer", 90, 3 * s, 12 * s, nil},
		{"sound 20 s longer, 3 times", 900, 10 * s, 30 * s, nil},
	} {
		got := timingDoubts(c.pictures, c.video, c.audio)
		ok := len(got) == len(c.want)
		for i := range c.want {
			ok = ok && strings.Contains(got[i], c.want[i])
		}
		if !ok {
			t.Errorf("%s (%d pictures over %v, sound %v): doubts %q, want ones saying %q", c.name, c.pictures, c.video, c.audio, got, c.want)
		}
	}
}

// TestMixWarnsOfADamagedTimeBase: an IVF whose header says a time base of
// 1/1 instead of 1/30 makes a 3 s clip last 90 s; the mix says so, naming
// the file, and the undamaged clip gets no such word.
func TestMixWarnsOfADamagedTimeBase(t *testing.T) {
	clip, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(clip[:4]) != "DKIF" || binary.LittleEndian.Uint32(clip[16:]) != 30 || binary.LittleEndian.Uint32(clip[20:]) != 1 {
		t.Fatalf("p01.ivf's header: % x; want an IVF of time base 1/30", clip[:32])
	}
	damaged := filepath.Join(t.TempDir(), "tb.ivf")
	binary.LittleEndian.PutUint32(clip[16:], 1) // the rate: 1/1
	if err := os.WriteFile(damaged, clip, 0o644); err != nil {
		t.Fatal(err)
	}
	sound := mediatest.TestdataPath(t, "p01.ogg")
	for _, c := range []struct {
		video  string
		length time.Duration
		warned bool
	}{{mediatest.TestdataPath(t, "p01.ivf"), 3 * time.Second, false}, {damaged, 90 * time.Second, true}} {
		p, err := ParseParticipant(c.video + "+" + sound)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cfg := mixer.DefaultConfig()
		cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS = 160, 90, 10
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := Mix(ctx, []Participant{p}, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg, Logger: log})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if d := res.Duration - c.length; d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Errorf("%s: the mix lasts %v, want %v", c.video, res.Duration, c.length)
		}
		warned := strings.Contains(logs.String(), "timing looks damaged")
		if warned != c.warned || warned && !strings.Contains(logs.String(), c.video) {
			t.Errorf("%s: timing doubted %v, want %v (naming the file); logged:\n%s", c.video, warned, c.warned, logs.String())
		}
	}
}
