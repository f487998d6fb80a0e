package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
)

const (
	// goldenPSNR: the decoded output against its golden frame. The same
	// libvpx gives identical frames (+Inf); another libvpx build encodes
	// slightly differently, well above this. A wrong layout, a missing or
	// misplaced participant, or a picture one frame off in time (the white
	// box moves 8 px per frame) all fall far below it (see TestGoldenMargin).
	goldenPSNR = 38
	// colourTolerance: distance in YCbCr between a tile's median background
	// and its participant's colour. Coding and scaling move a flat colour by
	// a few levels; the closest two participants are more than 40 apart.
	colourTolerance = 12
	// toneTolerance: dB between a tone's level in the mix and its level in
	// the clip (−24 dBFS). The mix is a plain sum below the limiter's
	// threshold, and Opus at 64 kbit/s keeps a pure tone within a dB.
	toneTolerance = 1.5
	toneLevel     = -24
	// absentTone: a tone nobody sent is below this (noise floor of the mix).
	absentTone = -50
	clipLength = 3 * time.Second
)

var canvas = layout.Size{W: 1280, H: 720}

// mixCase is an mcu mix run: participants by testdata file, and for each
// the participant id whose colour and tone should be there (0: none).
type mixCase struct {
	name  string
	args  []string
	video []int // participant shown in each tile, in order (0: placeholder)
	audio []int // tones expected in the mix
}

var goldenCases = []mixCase{
	{"1", []string{"p01.ivf+p01.ogg"}, []int{1}, []int{1}},
	{"2", []string{"p01.ivf+p01.ogg", "p02.h264+p02.ogg"}, []int{1, 2}, []int{1, 2}},
	{"4", []string{"p01.ivf+p01.ogg", "p02.h264+p02.ogg", "p03.ivf+p03.ogg", "p04.h264+p04.ogg"}, []int{1, 2, 3, 4}, []int{1, 2, 3, 4}},
	{"9", []string{"p01.ivf+p01.ogg", "p02.h264+p02.ogg", "p03.ivf+p03.ogg", "p04.h264+p04.ogg", "p05.ivf+p05.ogg",
		"p06.h264+p06.ogg", "p07.ivf+p07.ogg", "p08.h264+p08.ogg", "p09.ivf+p09.ogg"},
		[]int{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
}

// mixOut runs mcu mix over testdata files and returns the output's path.
func mixOut(t *testing.T, c mixCase, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.webm")
	args := append([]string{"mix", "-q", "-o", out}, extra...)
	for _, a := range c.args {
		var files []string
		for _, f := range strings.Split(a, "+") {
			files = append(files, mediatest.TestdataPath(t, f))
		}
		args = append(args, strings.Join(files, "+"))
	}
	code, stdout, stderr := mcu(t, args...)
	if code != 0 {
		t.Fatalf("mcu %v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "wrote "+out) {
		t.Errorf("stdout %q: want a one-line summary (no progress bar off a terminal)", stdout)
	}
	return out
}

// mixed is a decoded output.
type mixed struct {
	frames []*image.YCbCr
	pts    []time.Duration
	pcm    []int16
}

func decodeMix(t *testing.T, path string) mixed {
	return decodeMixOf(t, path, clipLength)
}

// decodeMixOf decodes an output that should last length (±1 frame).
func decodeMixOf(t *testing.T, path string, length time.Duration) mixed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := mediatest.ProbeFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, okv := p.Video()
	a, oka := p.Audio()
	if p.FormatName != "matroska,webm" || !okv || !oka {
		t.Fatalf("%s: format %q, video %v, audio %v", path, p.FormatName, okv, oka)
	}
	if v.CodecName != "vp8" || v.Width != 1280 || v.Height != 720 {
		t.Errorf("video stream %+v, want VP8 1280x720", v)
	}
	if a.CodecName != "opus" || a.SampleRate != 48000 || a.Channels != 2 {
		t.Errorf("audio stream %+v, want Opus 48 kHz stereo", a)
	}
	// One frame of slack: the last picture ends at the clip's end.
	if d := p.Duration - length; d < -40*time.Millisecond || d > 40*time.Millisecond {
		t.Errorf("duration %v, want %v", p.Duration, length)
	}
	// Sound and picture start together (the sound's samples are counted
	// from its start below): the Opus track's codec delay, rounded.
	if d, ok := p.AVStart(); !ok || d < -10*time.Millisecond || d > 10*time.Millisecond {
		t.Errorf("the audio starts %v after the video (known: %v), want together", d, ok)
	}
	var m mixed
	if m.frames, m.pts, err = mediatest.DecodeVideo(ctx, path); err != nil {
		t.Fatal(err)
	}
	if want := int(math.Ceil(length.Seconds() * 30)); len(m.frames) != want {
		t.Errorf("%d pictures, want %d (%v at 30 fps)", len(m.frames), want, length)
	}
	if m.pcm, err = mediatest.DecodeAudio(ctx, path); err != nil {
		t.Fatal(err)
	}
	// The tone checks read windows of it: it must reach them (a window
	// past its end reads as silence, one cut short as its start).
	if sound := time.Duration(len(m.pcm)/2) * time.Second / 48000; sound < length-40*time.Millisecond {
		t.Errorf("the sound lasts %v, want %v", sound, length)
	}
	return m
}

func (m mixed) at(t time.Duration) *image.YCbCr { return mediatest.FrameAt(m.frames, m.pts, t) }

// checkTiles asserts each tile shows its participant's colour, or the
// placeholder.
func checkTiles(t *testing.T, img *image.YCbCr, ids []int, src layout.Size, when string) {
	t.Helper()
	ps := mediatest.Participants(t)
	cells := layout.GridCells(len(ids), canvas)
	for i, id := range ids {
		dst, _ := layout.Place(src, cells[i], layout.Fit)
		r := image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)
		y, cb, cr := mediatest.MedianColour(img, mediatest.BackgroundRegion(r))
		if id == 0 {
			cell := image.Rect(cells[i].X, cells[i].Y, cells[i].X+cells[i].W, cells[i].Y+cells[i].H)
			if y, _, _ := mediatest.MedianColour(img, cell); y < 40 || y > 56 {
				t.Errorf("%s: tile %d should be the dark grey placeholder, median luma %d", when, i, y)
			}
			continue
		}
		p := ps[id-1]
		if d := mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d > colourTolerance {
			nearest, _ := mediatest.Nearest(ps, y, cb, cr)
			t.Errorf("%s: tile %d shows (%d,%d,%d), %.0f from %s's colour (nearest: %s)", when, i, y, cb, cr, d, p.Name, nearest.Name)
		}
	}
}

// checkTones asserts the mix holds exactly the given participants' tones.
func checkTones(t *testing.T, pcm []int16, ids []int) {
	t.Helper()
	want := map[int]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, p := range mediatest.Participants(t) {
		for ch, level := range mediatest.ToneLevels(pcm, 2, 48000, p.ToneHz, 500*time.Millisecond, 2500*time.Millisecond) {
			switch {
			case want[p.ID] && math.Abs(level-toneLevel) > toneTolerance:
				t.Errorf("%s's %v Hz tone at %.1f dBFS in channel %d, want %d ±%.1f", p.Name, p.ToneHz, level, ch, toneLevel, toneTolerance)
			case !want[p.ID] && level > absentTone:
				t.Errorf("%s's %v Hz tone present at %.1f dBFS in channel %d though %s is not in the mix", p.Name, p.ToneHz, level, ch, p.Name)
			}
		}
	}
}

// TestMixGolden mixes 1, 2, 4 and 9 participants (VP8 and H.264 inputs)
// and checks the WebM with independent tools: ffprobe for the container,
// ffmpeg-decoded pictures against golden frames and for each participant's
// colour in its tile, and the decoded audio for every participant's tone.
func TestMixGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := decodeMix(t, mixOut(t, c))
			for _, at := range []time.Duration{time.Second, 2 * time.Second} {
				img := m.at(at)
				checkTiles(t, img, c.video, layout.Size{W: 640, H: 360}, at.String())
				golden := filepath.Join("testdata", t.Name()+"-"+at.String()+".png")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := mediatest.WritePNG(golden, img); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := mediatest.ReadPNG(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/mcu -update to create it)", err)
				}
				if p := mediatest.PSNR(want, img); p < goldenPSNR {
					t.Errorf("picture at %v: PSNR %.1f dB against %s, want ≥ %d", at, p, golden, goldenPSNR)
				}
			}
			checkTones(t, m.pcm, c.audio)
		})
	}
}

// TestGoldenMargin shows the golden threshold separates: the picture one
// frame later, or with two participants swapped, is far below it.
func TestGoldenMargin(t *testing.T) {
	c := goldenCases[3]
	m := decodeMix(t, mixOut(t, c))
	base := m.at(time.Second)
	later := m.at(time.Second + time.Second/30)
	if p := mediatest.PSNR(base, later); p >= goldenPSNR-3 {
		t.Errorf("one frame apart: PSNR %.1f dB, too close to the threshold %d", p, goldenPSNR)
	}
	swapped := mixCase{args: append([]string{c.args[1], c.args[0]}, c.args[2:]...)}
	other := decodeMix(t, mixOut(t, swapped)).at(time.Second)
	if p := mediatest.PSNR(base, other); p >= goldenPSNR-3 {
		t.Errorf("two tiles swapped: PSNR %.1f dB, too close to the threshold %d", p, goldenPSNR)
	}
}

// TestMixAwkwardInputs: an odd size (322x180), resolution changes in VP8 and
// H.264, WebM with both streams, VP9, a person with audio only (a
// placeholder tile), one with video only (silent), and AV1.
func TestMixAwkwardInputs(t *testing.T) {
	c := mixCase{
		args: []string{"p10.ivf+p10.ogg", "p11.ivf+p11.ogg", "p11.h264", "p12.webm", "p12.vp9.ivf", "p03.ogg", "p04.ivf", "p12.av1.ivf"},
	}
	// p11.ivf joins two 1.5 s segments and lasts one frame longer.
	m := decodeMixOf(t, mixOut(t, c), clipLength+time.Second/30)
	for _, at := range []time.Duration{700 * time.Millisecond, 2300 * time.Millisecond} {
		img := m.at(at)
		ps := mediatest.Participants(t)
		cells := layout.GridCells(8, canvas)
		// Each clip has its own size; check every tile against its own.
		for i, tc := range []struct {
			id   int
			size layout.Size
		}{{10, layout.Size{W: 322, H: 180}}, {11, size11(at)}, {11, size11(at)}, {12, layout.Size{W: 640, H: 360}},
			{12, layout.Size{W: 640, H: 360}}, {0, layout.Size{}}, {4, layout.Size{W: 640, H: 360}},
			{12, layout.Size{W: 640, H: 360}}} {
			if tc.id == 0 {
				cell := image.Rect(cells[i].X, cells[i].Y, cells[i].X+cells[i].W, cells[i].Y+cells[i].H)
				if y, _, _ := mediatest.MedianColour(img, cell); y < 40 || y > 56 {
					t.Errorf("%v: audio-only participant's tile: median luma %d, want the placeholder", at, y)
				}
				continue
			}
			dst, _ := layout.Place(tc.size, cells[i], layout.Fit)
			r := image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)
			y, cb, cr := mediatest.MedianColour(img, mediatest.BackgroundRegion(r))
			p := ps[tc.id-1]
			if d := mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d > colourTolerance {
				t.Errorf("%v: tile %d shows (%d,%d,%d), %.0f from %s", at, i, y, cb, cr, d, p.Name)
			}
		}
	}
	checkTones(t, m.pcm, []int{10, 11, 12, 3})
}

// size11 is p11's picture size at t: it changes half way.
func size11(t time.Duration) layout.Size {
	if t < 1500*time.Millisecond {
		return layout.Size{W: 320, H: 180}
	}
	return layout.Size{W: 480, H: 270}
}

func TestMixBadInput(t *testing.T) {
	dir := t.TempDir()
	mpeg4 := filepath.Join(dir, "old.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x120:d=0.5",
		"-c:v", "mpeg4", mpeg4).CombinedOutput(); err != nil {
		t.Fatalf("make an MPEG-4 part 2 file: %v %s", err, out)
	}
	exists := filepath.Join(dir, "exists.webm")
	os.WriteFile(exists, []byte("x"), 0o644)
	p01 := mediatest.TestdataPath(t, "p01.ivf")
	notMedia := mediatest.TestdataPath(t, "notmedia.txt")
	missing := filepath.Join(dir, "missing.ivf")
	out := filepath.Join(dir, "out.webm")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"missing file", []string{"mix", "-o", out, missing}, 1, missing},
		{"not media", []string{"mix", "-o", out, notMedia}, 1, notMedia + ": not a media file"},
		{"unsupported codec", []string{"mix", "-o", out, mpeg4}, 1, mpeg4 + ": no supported stream"},
		{"two videos for one person", []string{"mix", "-o", out, p01 + "+" + mediatest.TestdataPath(t, "p02.ivf")}, 1, "two video files"},
		{"one file twice for one person", []string{"mix", "-o", out, p01 + "+" + p01}, 1, "the same file twice"},
		{"raw video into the output", []string{"mix", "-o", out, "-y4m", out, p01}, 2, "-o and -y4m name the same file"},
		{"output not named WebM", []string{"mix", "-o", filepath.Join(dir, "out.mp4"), missing}, 1, "will hold WebM"},
		{"output exists", []string{"mix", "-o", exists, p01}, 1, exists + ": file exists"},
		// Refused before any input is read: not after a wait, nor for an input.
		{"output exists, an input missing", []string{"mix", "-o", exists, missing}, 1, exists + ": file exists"},
		{"raw video file exists", []string{"mix", "-o", out, "-y4m", exists, p01}, 1, exists + ": file exists"},
		{"no output", []string{"mix", p01}, 2, "-o OUT.webm is required"},
		{"no participants", []string{"mix", "-o", out}, 2, "no participants"},
		{"bad size", []string{"mix", "-o", out, "-size", "big", p01}, 2, "-size"},
		{"size with more after it", []string{"mix", "-o", out, "-size", "1280x720p", p01}, 2, `-size "1280x720p"`},
		{"bitrate with a unit", []string{"mix", "-o", out, "-bitrate", "800kbit", p01}, 2, `bad bitrate "800kbit"`},
		{"no keyframe interval", []string{"mix", "-o", out, "-keyint", "0s", p01}, 2, "-keyint"},
		{"odd size", []string{"mix", "-o", out, "-size", "641x360", p01}, 2, "641x360"},
		{"bad layout", []string{"mix", "-o", out, "-layout", "mosaic", p01}, 2, "mosaic"},
		{"positive speed", []string{"mix", "-o", out, "-speed", "4", p01}, 2, "fixed speed"},
		{"negative voices", []string{"mix", "-o", out, "-voices", "-1", p01}, 2, "voices -1"},
		{"unknown command", []string{"mux"}, 2, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := mcu(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed mix left %s behind", out)
	}
	if b, err := os.ReadFile(exists); err != nil || string(b) != "x" {
		t.Errorf("the file that existed holds %q (%v), want it untouched", b, err)
	}
}

// TestMixDamagedClip corrupts frames in the middle of a clip: the mix
// succeeds with a warning, and the tile is right again after the next
// keyframe.
func TestMixDamagedClip(t *testing.T) {
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	// IVF: a 32-byte header, then per frame a 12-byte header (size, pts).
	pos, frame := 32, 0
	for pos+12 <= len(data) {
		size := int(data[pos]) | int(data[pos+1])<<8 | int(data[pos+2])<<16 | int(data[pos+3])<<24
		if frame >= 35 && frame < 45 { // between the keyframes at 30 and 60
			for i := pos + 12 + 3; i < pos+12+size; i++ {
				data[i] ^= byte(i*131 + 7)
			}
		}
		pos += 12 + size
		frame++
	}
	damaged := filepath.Join(t.TempDir(), "damaged.ivf")
	if err := os.WriteFile(damaged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.webm")
	code, stdout, stderr := mcu(t, "mix", "-q", "-o", out, damaged+"+"+mediatest.TestdataPath(t, "p01.ogg"))
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "damaged video") || !strings.Contains(stdout, "damaged frames or timestamps skipped or repaired") {
		t.Errorf("no warning about the damage:\nstdout %q\nstderr %q", stdout, stderr)
	}
	m := decodeMix(t, out)
	checkTiles(t, m.at(2500*time.Millisecond), []int{1}, layout.Size{W: 640, H: 360}, "after the next keyframe")
}

// TestMixSignals runs mcu as a real process in real time and interrupts it
// once clusters are on disk: SIGTERM, SIGINT (Ctrl-C) and SIGHUP finalize
// the file written so far (duration, cues); SIGKILL leaves a file that still
// decodes up to about its last complete cluster (a second).
func TestMixSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a few seconds")
	}
	for _, tc := range []struct {
		sig       syscall.Signal
		clusters  int // complete clusters on disk before the signal
		finalized bool
	}{{syscall.SIGTERM, 1, true}, {syscall.SIGINT, 1, true}, {syscall.SIGHUP, 1, true}, {syscall.SIGKILL, 2, false}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			if signal.Ignored(tc.sig) {
				// The child would inherit it ignored, and rightly go on.
				t.Skipf("this test runs with %v ignored (nohup, a background job)", tc.sig)
			}
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out.webm")
			var args []string
			for _, c := range goldenCases[2].args {
				a, v, _ := strings.Cut(c, "+")
				args = append(args, mediatest.TestdataPath(t, a)+"+"+mediatest.TestdataPath(t, v))
			}
			cmd := exec.Command(os.Args[0], append([]string{"mix", "-q", "-realtime", "-o", out}, args...)...)
			cmd.Env = append(os.Environ(), "MCU_TEST_MAIN=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitClusters(t, out, tc.clusters)
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("mcu exited with %v before the signal (the mix takes 3 s); %s", err, stderr.String())
			}
			data, rerr := os.ReadFile(out)
			if rerr != nil {
				t.Fatal(rerr)
			}
			cues := mediatest.WebMElements(data)[mediatest.EBMLCues] > 0
			if cues != tc.finalized {
				t.Errorf("cues present: %v, want %v (stderr %s)", cues, tc.finalized, stderr.String())
			}
			if tc.finalized && (!strings.Contains(stderr.String(), "interrupted") || ee.ExitCode() != 1) {
				t.Errorf("exit %d, stderr %q: want 1 and a message saying the file was finalized", ee.ExitCode(), stderr.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			n, err := mediatest.CountFrames(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			// Every complete cluster holds a second of pictures.
			if min := 30 * tc.clusters; n < min {
				t.Errorf("%d pictures readable, want ≥ %d", n, min)
			}
			t.Logf("%v with %d clusters on disk: %d pictures readable, cues %v", tc.sig, tc.clusters, n, cues)
			if tc.finalized {
				return
			}
			// Killed: the same command again says how to finish the file;
			// mcu finish gives it its duration and cues, the same pictures.
			var again bytes.Buffer
			if code := run(context.Background(), append([]string{"mix", "-q", "-o", out}, args...), io.Discard, &again); code != 1 || !strings.Contains(again.String(), "mcu finish "+out) {
				t.Errorf("the mix again over a killed one's file: exit %d, %q; want 1, naming mcu finish", code, again.String())
			}
			var said bytes.Buffer
			if code := run(context.Background(), []string{"finish", out}, &said, &again); code != 0 || !strings.Contains(said.String(), "finished") {
				t.Fatalf("mcu finish: exit %d, %q %q", code, said.String(), again.String())
			}
			data, _ = os.ReadFile(out)
			if mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
				t.Error("mcu finish left the file without cues")
			}
			if m, err := mediatest.CountFrames(ctx, out); err != nil || m != n {
				t.Errorf("after mcu finish: %d pictures (%v), want the %d it held", m, err, n)
			}
			said.Reset()
			if code := run(context.Background(), []string{"finish", out}, &said, &again); code != 0 || !strings.Contains(said.String(), "finalized already") {
				t.Errorf("mcu finish of a finalized file: exit %d, %q", code, said.String())
			}
		})
	}
}

// TestMixUnderNohup: a mix started to ignore hangups (nohup) goes on to
// its end through one.
func TestMixUnderNohup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a few seconds")
	}
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.webm")
	var args []string
	for _, c := range goldenCases[2].args {
		a, v, _ := strings.Cut(c, "+")
		args = append(args, mediatest.TestdataPath(t, a)+"+"+mediatest.TestdataPath(t, v))
	}
	cmd := exec.Command(nohup, append([]string{os.Args[0], "mix", "-q", "-realtime", "-o", out}, args...)...)
	cmd.Env = append(os.Environ(), "MCU_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitClusters(t, out, 1)
	cmd.Process.Signal(syscall.SIGHUP)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mcu under nohup after a hangup: %v; %s", err, stderr.String())
	}
	if d, err := mediatest.ProbeFile(context.Background(), out); err != nil || d.Duration < 2900*time.Millisecond {
		t.Errorf("the mix lasts %v (%v), want all 3 s", d.Duration, err)
	}
}

// waitClusters waits until the file holds n complete clusters (the muxer
// writes a cluster once it is closed).
func waitClusters(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCluster] >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never held %d clusters", path, n)
}

// TestMixSpeakerLayout: with the speaker layout, the only person talking
// gets the big tile once the detector has heard them (a hold of 600 ms),
// the others a strip of thumbnails. Before anyone is heard the first
// person has the big tile; the speaker takes it over by trading places
// with them, so that the other thumbnail stays where it was.
func TestMixSpeakerLayout(t *testing.T) {
	c := mixCase{args: []string{"p01.ivf", "p02.ivf", "p03.ivf+p03.ogg"}}
	m := decodeMix(t, mixOut(t, c, "-layout", "speaker"))
	img := m.at(2 * time.Second)
	cells := layout.SpeakerCells(3, 0, canvas)
	cells[0], cells[2] = cells[2], cells[0]
	ps := mediatest.Participants(t)
	for i, id := range []int{1, 2, 3} {
		dst, _ := layout.Place(layout.Size{W: 640, H: 360}, cells[i], layout.Fit)
		r := image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)
		y, cb, cr := mediatest.MedianColour(img, mediatest.BackgroundRegion(r))
		p := ps[id-1]
		if d := mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d > colourTolerance {
			t.Errorf("cell %d (%v) shows (%d,%d,%d), %.0f from %s", i, cells[i], y, cb, cr, d, p.Name)
		}
	}
	if cells[2].W != canvas.W {
		t.Fatalf("speaker cell %v is not the big one", cells[2])
	}
}

// TestProgressBarMakesWayForTheLog: a warning written while the bar is on
// its line clears the line first, and the bar is drawn again at its next
// step; with no bar shown, nothing is cleared.
func TestProgressBarMakesWayForTheLog(t *testing.T) {
	var term bytes.Buffer // stdout and stderr on one terminal
	bar := &progressBar{w: &term, on: true}
	log := bar.clearing(&term)
	fmt.Fprint(log, "first\n")
	bar.update(time.Second, 10*time.Second)
	fmt.Fprint(log, "level=WARN msg=damaged\n")
	bar.update(2*time.Second, 10*time.Second)
	bar.done()
	lines := strings.Split(term.String(), "\n")
	if len(lines) != 3 || lines[0] != "first" || !strings.HasSuffix(lines[1], "\r\033[Klevel=WARN msg=damaged") ||
		!strings.HasPrefix(lines[1], "\r[###") || !strings.HasSuffix(lines[2], "\r\033[K") || !strings.Contains(lines[2], " 20% ") {
		t.Errorf("the terminal shows %q", term.String())
	}
	// Off (not a terminal, or -q): nothing of the bar's.
	term.Reset()
	off := &progressBar{w: &term}
	fmt.Fprint(off.clearing(&term), "x\n")
	off.update(time.Second, 10*time.Second)
	off.done()
	if term.String() != "x\n" {
		t.Errorf("with no bar, the terminal shows %q", term.String())
	}
}

// TestMixVoices: with -voices 2, two of four people talking at the same
// level are in the mix, the same two all along, and the others not at
// all.
func TestMixVoices(t *testing.T) {
	m := decodeMix(t, mixOut(t, goldenCases[2], "-voices", "2"))
	var first []string
	for _, window := range [][2]time.Duration{{500 * time.Millisecond, 1500 * time.Millisecond}, {1500 * time.Millisecond, 2500 * time.Millisecond}} {
		var in []string
		for _, p := range mediatest.Participants(t)[:4] {
			level := mediatest.ToneLevel(m.pcm, 2, 0, 48000, p.ToneHz, window[0], window[1])
			switch {
			case math.Abs(level-toneLevel) <= toneTolerance:
				in = append(in, p.Name)
			case level > absentTone:
				t.Errorf("%v to %v: %s's tone at %.1f dBFS, neither in the mix nor out of it", window[0], window[1], p.Name, level)
			}
		}
		if len(in) != 2 || first != nil && !slices.Equal(in, first) {
			t.Errorf("%v to %v: %v in the mix, want two (the same as before: %v)", window[0], window[1], in, first)
		}
		first = in
	}
}

// TestMixKeyframeInterval: -keyint sets how far apart the output's
// keyframes are, where a player can start or seek to.
func TestMixKeyframeInterval(t *testing.T) {
	out := mixOut(t, mixCase{args: []string{"p01.ivf"}}, "-keyint", "1s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	frames, err := mediatest.VideoFrames(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var keys []time.Duration
	for _, f := range frames {
		if f.Key {
			keys = append(keys, f.PTS)
		}
	}
	want := []time.Duration{0, time.Second, 2 * time.Second}
	if len(keys) != len(want) {
		t.Fatalf("keyframes at %v, want %v", keys, want)
	}
	for i, k := range keys {
		if d := k - want[i]; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("keyframes at %v, want %v", keys, want)
			break
		}
	}
}

// TestMixRawVideo: -y4m writes the composite as encoded, before the
// encoder: every picture, each participant's colour in its tile, the same
// picture the WebM shows to within the encoder's loss.
func TestMixRawVideo(t *testing.T) {
	raw := filepath.Join(t.TempDir(), "out.y4m")
	c := mixCase{args: []string{"p01.ivf", "p02.h264"}}
	m := decodeMix(t, mixOut(t, c, "-y4m", raw))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	frames, pts, err := mediatest.DecodeVideo(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != len(m.frames) {
		t.Fatalf("%d raw pictures, %d in the WebM", len(frames), len(m.frames))
	}
	if b := frames[0].Bounds(); b.Dx() != canvas.W || b.Dy() != canvas.H {
		t.Fatalf("raw pictures %dx%d, want %dx%d", b.Dx(), b.Dy(), canvas.W, canvas.H)
	}
	img := mediatest.FrameAt(frames, pts, 2*time.Second)
	checkTiles(t, img, []int{1, 2}, layout.Size{W: 640, H: 360}, "raw picture at 2 s")
	if psnr := mediatest.PSNR(img, m.at(2*time.Second)); psnr < 30 {
		t.Errorf("the raw picture at 2 s is %.1f dB from the WebM's, want ≥ 30", psnr)
	}
}

// TestProgressBarQuiet: -q turns the bar off even on a terminal (here
// /dev/null, a character device, which is what the bar takes a terminal for).
func TestProgressBarQuiet(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !newProgressBar(f, true).on {
		t.Fatalf("no bar on %s without -q: it does not count as a terminal, the test proves nothing", os.DevNull)
	}
	if newProgressBar(f, false).on {
		t.Error("with -q, the bar is on a terminal")
	}
}

// TestMixHelp: mcu mix -h is not a mistake (exit 0) and lists the flags
// after the usage line.
func TestMixHelp(t *testing.T) {
	code, stdout, stderr := mcu(t, "mix", "-h")
	if code != 0 || !strings.HasPrefix(stderr, "usage: mcu mix -o OUT.webm") || !strings.Contains(stderr, "\n  -keyint duration\n") {
		t.Errorf("exit %d, stdout %q, stderr %q: want 0 and the usage with its flags", code, stdout, stderr)
	}
}

// TestFinishMistakes: mcu finish with no file is a usage mistake (2); a
// file that is not there, or no WebM, fails naming it (1).
func TestFinishMistakes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"finish"}, &out, &errOut); code != 2 {
		t.Errorf("mcu finish alone: exit %d, want 2 (%s)", code, errOut.String())
	}
	missing := filepath.Join(t.TempDir(), "gone.webm")
	for _, path := range []string{missing, mediatest.TestdataPath(t, "notmedia.txt")} {
		errOut.Reset()
		if code := run(context.Background(), []string{"finish", path}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), path) {
			t.Errorf("mcu finish %s: exit %d, %q; want 1, naming it", path, code, errOut.String())
		}
	}
}

// TestMixFlagAfterParticipants: a flag written after the participants is
// a usage mistake (2) that says flags go first; it used to be opened as a
// file ("open -voices: no such file or directory", 1). A file whose name
// begins with "-" is still a participant.
func TestMixFlagAfterParticipants(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.webm")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"mix", "-q", "-o", out, mediatest.TestdataPath(t, "p01.ogg"), "-voices", "2"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "-voices after the participants: flags go before them") {
		t.Errorf("a flag after the participants: exit %d, %q; want 2, saying flags go first", code, stderr.String())
	}
	dashed := filepath.Join(t.TempDir(), "-p01.ogg")
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dashed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	t.Chdir(filepath.Dir(dashed))
	if code := run(context.Background(), []string{"mix", "-q", "-size", "320x180", "-o", out, "--", "-p01.ogg"}, &stdout, &stderr); code != 0 {
		t.Errorf("a file named -p01.ogg: exit %d, %q; want it mixed", code, stderr.String())
	}
}

// TestMixContent: -content marks a participant's video as a shared
// screen: the mix, asked for the grid, is in the speaker layout with that
// participant in the large tile and the others in the strip. A number out
// of range, or a participant without video, is a usage mistake.
func TestMixContent(t *testing.T) {
	ps := mediatest.Participants(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "share.webm")
	td := func(n string) string { return mediatest.TestdataPath(t, n) }
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"mix", "-q", "-size", "640x360", "-content", "2", "-o", out, td("p01.ivf") + "+" + td("p01.ogg"), td("p02.ivf")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	frames, pts, err := mediatest.DecodeVideo(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	img := mediatest.FrameAt(frames, pts, time.Second)
	cells := layout.SpeakerCells(2, 1, layout.Size{W: 640, H: 360})
	for i, id := range []int{1, 2} {
		dst, _ := layout.Place(layout.Size{W: 640, H: 360}, cells[i], layout.Fit)
		y, cb, cr := mediatest.MedianColour(img, mediatest.BackgroundRegion(image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H)))
		if p := ps[id-1]; mediatest.ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr) > colourTolerance {
			t.Errorf("cell %v shows (%d,%d,%d), want %s's colour (p02, the share, large; p01 in the strip)", cells[i], y, cb, cr, p.Name)
		}
	}
	for _, c := range []struct{ list, want string }{
		{"3", "want participant numbers from 1 to 2"},
		{"0", "want participant numbers from 1 to 2"},
		{"x", "want participant numbers from 1 to 2"},
		{"1", "participant 1 has no video"},
	} {
		stderr.Reset()
		args := []string{"mix", "-q", "-content", c.list, "-o", filepath.Join(dir, "no.webm"), td("p01.ogg"), td("p02.ivf")}
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("-content %s: exit %d, %q; want 2, saying %q", c.list, code, stderr.String(), c.want)
		}
	}
}
