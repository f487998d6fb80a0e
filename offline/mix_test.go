package offline

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
	"mcu/mixer"
)

// TestFailedMixLeavesNothing: a mix that fails after its files were made
// (here the mixer refuses the Opus settings) removes the WebM and the raw
// video it created, so the same command can run again.
func TestFailedMixLeavesNothing(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := mixer.DefaultConfig()
	cfg.Audio.Bitrate = 1 // refused by the mixer, not by the WebM writer
	opts := Options{Output: filepath.Join(dir, "out.webm"), RawVideo: filepath.Join(dir, "out.y4m"), Mixer: cfg}
	if _, err := Mix(context.Background(), []Participant{p}, opts); err == nil {
		t.Fatal("mix with a bad Opus bitrate succeeded")
	}
	for _, path := range []string{opts.Output, opts.RawVideo} {
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed mix left %s behind", path)
		}
	}
}

// TestStoppedMixLeavesNoEmptyFile: a mix stopped before it wrote anything
// (here, before it began: as a Ctrl-C while the inputs are measured)
// makes no output, so the same command can run again.
func TestStoppedMixLeavesNoEmptyFile(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out.webm")
	if _, err := Mix(ctx, []Participant{p}, Options{Output: out, Mixer: mixer.DefaultConfig()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a stopped mix returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a mix stopped before writing left %s behind (%v)", out, err)
	}
}

// TestMixWithEmptyTiles: a canvas too small for everyone's tile (speaker
// layout at 16x16: the thumbnails have no room) still mixes to the end;
// each file's decoder hears of its empty tile and goes on.
func TestMixWithEmptyTiles(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	parts := []Participant{p, p, p, p, p, p, p, p, p, p} // the thumbnails get 0x0 cells
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 16, 16
	cfg.Layout = layout.Speaker
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Mix(ctx, parts, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg})
	if err != nil {
		t.Fatalf("mix: %v", err)
	}
	if res.VideoFrames == 0 {
		t.Error("no video frames")
	}
}

// TestMixOfEmptyInputsNamesThem: inputs that hold no picture and no sound
// (an IVF file with its header only) fail the mix with a message naming
// them, and leave no output.
func TestMixOfEmptyInputsNamesThem(t *testing.T) {
	dir := t.TempDir()
	empty := emptyIVF(t, dir)
	p, err := ParseParticipant(empty)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.webm")
	_, err = Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: mixer.DefaultConfig()})
	if err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("mix of an empty input: %v, want an error naming %s", err, empty)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed mix left %s behind", out)
	}
}

// TestMixOfChainedOgg: two Ogg files joined end to end (a chained Ogg, as
// `cat a.ogg b.ogg` makes) are one participant's six seconds of sound: the
// first tone, then the second, with nothing damaged at the seam. The mix
// used to end after the first link and decode the second's headers as
// audio.
func TestMixOfChainedOgg(t *testing.T) {
	who := mediatest.Participants(t)
	dir := t.TempDir()
	p, err := ParseParticipant(chainedOgg(t, dir, "p01.ogg", "p02.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	out := filepath.Join(dir, "out.webm")
	res, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration < 5990*time.Millisecond || res.Duration > 6040*time.Millisecond || res.Warnings != 0 {
		t.Errorf("mix of %v with %d warnings, want 6 s and none", res.Duration, res.Warnings)
	}
	pcm, err := mediatest.DecodeAudio(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	first, second := who[0].ToneHz, who[1].ToneHz
	for _, c := range []struct {
		hz       float64
		from, to time.Duration
		heard    bool
	}{
		{first, 500 * time.Millisecond, 2500 * time.Millisecond, true},
		{second, 500 * time.Millisecond, 2500 * time.Millisecond, false},
		{second, 3500 * time.Millisecond, 5500 * time.Millisecond, true},
		{first, 3500 * time.Millisecond, 5500 * time.Millisecond, false},
	} {
		levels := mediatest.ToneLevels(pcm, mediatest.AudioChannels, mediatest.AudioRate, c.hz, c.from, c.to)
		level := slices.Min(levels) // heard in both channels
		if !c.heard {
			level = slices.Max(levels) // in neither
		}
		if heard := level > -40; heard != c.heard {
			t.Errorf("%.0f Hz from %v to %v at %.1f dBFS: heard %v, want %v", c.hz, c.from, c.to, level, heard, c.heard)
		}
	}
}

// TestMixOfACutMP4: an MP4 cut without re-encoding half a second into a
// clip whose tone lasts its first second keeps the sound before the cut
// as pre-roll (and says how much to drop). The mix has the tone's last
// half second, then silence: sound and picture start at the cut together.
// The sound before the cut used to be played first, putting the sound
// half a second behind the picture.
func TestMixOfACutMP4(t *testing.T) {
	dir := t.TempDir()
	whole, cut := filepath.Join(dir, "whole.mp4"), filepath.Join(dir, "cut.mp4")
	ffmpegRuns(t, [][]string{
		{"-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=3", "-f", "lavfi", "-i", "sine=f=440:d=1,apad=whole_dur=3",
			"-c:v", "libx264", "-g", "30", "-c:a", "libopus", "-shortest", whole},
		{"-ss", "0.5", "-i", whole, "-c", "copy", cut},
	})
	p, err := ParseParticipant(cut)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	out := filepath.Join(dir, "out.webm")
	if _, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	pcm, err := mediatest.DecodeAudio(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to time.Duration
		heard    bool
	}{
		{100 * time.Millisecond, 400 * time.Millisecond, true},
		{600 * time.Millisecond, 900 * time.Millisecond, false},
	} {
		levels := mediatest.ToneLevels(pcm, mediatest.AudioChannels, mediatest.AudioRate, 440, c.from, c.to)
		level := slices.Min(levels) // heard in both channels
		if !c.heard {
			level = slices.Max(levels) // in neither
		}
		if heard := level > -40; heard != c.heard {
			t.Errorf("440 Hz from %v to %v at %.1f dBFS: heard %v, want %v", c.from, c.to, level, heard, c.heard)
		}
	}
}

// TestMixOfAudioWithALostPacket: a file of 10 ms Opus packets that lost
// one 300 ms in keeps its time: the tone ends when it ends in the whole
// file, and the lost 10 ms are concealed (the tone goes on), not silent.
// Gaps shorter than 20 ms used to be left out, the rest of the sound
// played 10 ms early.
func TestMixOfAudioWithALostPacket(t *testing.T) {
	dir := t.TempDir()
	whole, lossy := filepath.Join(dir, "whole.mka"), filepath.Join(dir, "lossy.mka")
	// The second packet lost, and a file of 2.5 ms packets (a pre-skip
	// three packets long): neither moves the rest.
	second, short := filepath.Join(dir, "second.mka"), filepath.Join(dir, "short.mka")
	ffmpegRuns(t, [][]string{
		toneMKA(whole),
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=eq(n\,30)`, lossy},
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=eq(n\,1)`, second},
		{"-f", "lavfi", "-i", "sine=f=440:d=1,apad=whole_dur=2", "-c:a", "libopus", "-frame_duration", "2.5", "-b:a", "64k", short},
	})
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	warnings := map[string]int{}
	mix := func(in string) []int16 {
		p, err := ParseParticipant(in)
		if err != nil {
			t.Fatal(err)
		}
		out := strings.TrimSuffix(in, ".mka") + "-mix.webm"
		res, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		warnings[filepath.Base(in)] = res.Warnings*100 + res.Gaps
		pcm, err := mediatest.DecodeAudio(t.Context(), out)
		if err != nil {
			t.Fatal(err)
		}
		return pcm
	}
	// toneEnd is the time of the last loud sample in the first 1.5 s.
	toneEnd := func(pcm []int16) time.Duration {
		last := 0
		for i := 0; i < min(len(pcm), 3*mediatest.AudioRate); i++ {
			if pcm[i] > 1000 || pcm[i] < -1000 {
				last = i / mediatest.AudioChannels
			}
		}
		return time.Duration(last) * time.Second / mediatest.AudioRate
	}
	ref, got := mix(whole), mix(lossy)
	if a, b := toneEnd(ref), toneEnd(got); b < a-time.Millisecond || b > a+time.Millisecond {
		t.Errorf("the tone ends at %v after a lost packet, at %v without: want the same time", b, a)
	}
	// Nor is anything put into the whole file's sound: Matroska times its
	// packets before the pre-skip (Ogg after it), a constant offset, not
	// a gap. The mix's tone ends where FFmpeg's decoding of the file has it,
	// the mix's limiter's 1.5 ms later (a pre-skip taken for a gap would
	// make it 6.5 ms more).
	src, err := mediatest.DecodeAudio(t.Context(), whole)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := toneEnd(src), toneEnd(ref); b < a-time.Millisecond || b > a+3*time.Millisecond {
		t.Errorf("the tone of the whole file ends at %v in the mix, at %v in the file", b, a)
	}
	if a, b := toneEnd(ref), toneEnd(mix(second)); b < a-time.Millisecond || b > a+time.Millisecond {
		t.Errorf("the tone ends at %v after the second packet was lost, at %v without", b, a)
	}
	shortSrc, err := mediatest.DecodeAudio(t.Context(), short)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := toneEnd(shortSrc), toneEnd(mix(short)); b < a-time.Millisecond || b > a+3*time.Millisecond {
		t.Errorf("the tone of 2.5 ms packets ends at %v in the mix, at %v in the file", b, a)
	}
	// The 10 ms lost, 300 ms in, and the milliseconds around them.
	level := func(pcm []int16) float64 {
		return slices.Min(mediatest.ToneLevels(pcm, mediatest.AudioChannels, mediatest.AudioRate, 440, 298*time.Millisecond, 312*time.Millisecond))
	}
	if a, b := level(ref), level(got); b < a-1.5 {
		t.Errorf("the tone where the packet was lost is at %.1f dBFS, %.1f without the loss: want it concealed, not silent", b, a)
	}
	// The sound missing is told and counted as a gap (a damaged Ogg page,
	// skipped by FFmpeg with a line that names no file, used to pass
	// unsaid), not as damage; nothing else is (warnings ×100 + gaps).
	if want := map[string]int{"whole.mka": 0, "lossy.mka": 1, "second.mka": 1, "short.mka": 0}; !maps.Equal(warnings, want) {
		t.Errorf("warnings %v, want %v", warnings, want)
	}
}

// TestMixFailingAfterFramesLeavesNothing: a mix that fails (not stopped)
// after frames were written removes its partial output.
func TestMixFailingAfterFramesLeavesNothing(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	errTap := errors.New("tap failed")
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	frames := 0
	cfg.Tap = func(*image.YCbCr, time.Duration) error { // called from the mixer goroutine only
		if frames++; frames == 30 {
			return errTap
		}
		return nil
	}
	out := filepath.Join(t.TempDir(), "out.webm")
	res, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, errTap) {
		t.Fatalf("mix returned %v, want the tap's error", err)
	}
	if res.VideoFrames+res.AudioFrames == 0 {
		t.Fatal("nothing was written before the failure: the test proves nothing")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a mix that failed after %d video and %d audio frames left %s behind (%v)", res.VideoFrames, res.AudioFrames, out, err)
	}
}

// cancelOn is a log handler that cancels a context on the first record
// whose message holds a string.
type cancelOn struct {
	substr string
	cancel context.CancelFunc
}

func (h cancelOn) Enabled(context.Context, slog.Level) bool { return true }
func (h cancelOn) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h cancelOn) WithGroup(string) slog.Handler            { return h }
func (h cancelOn) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.substr) {
		h.cancel()
	}
	return nil
}

// TestMixStoppedBeforeAFrameLeavesNoFile: a mix stopped once its output
// exists but before any frame is in it (here on the warning about an empty
// input, just before the WebM is made) removes the empty file.
func TestMixStoppedBeforeAFrameLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	empty := emptyIVF(t, dir)
	var parts []Participant
	for _, f := range []string{empty, mediatest.TestdataPath(t, "p01.ivf")} {
		p, err := ParseParticipant(f)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	out := filepath.Join(dir, "out.webm")
	res, err := Mix(ctx, parts, Options{Output: out, Mixer: cfg, Logger: slog.New(cancelOn{"placeholder", cancel})})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a stopped mix returned %v, want context.Canceled", err)
	}
	if res.VideoFrames+res.AudioFrames != 0 {
		t.Fatalf("%d video and %d audio frames written after the stop: not the case tested", res.VideoFrames, res.AudioFrames)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a mix stopped before its first frame left %s behind (%v)", out, err)
	}
}

// emptyIVF writes into dir an IVF file that holds its header and no
// frame, and returns its path.
func emptyIVF(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.ivf")
	if err := os.WriteFile(empty, data[:32], 0o644); err != nil { // the file header, no frame
		t.Fatal(err)
	}
	return empty
}

// TestMixIsReproducible: the same inputs and settings give the same file,
// byte for byte, in either layout and whether the mix runs as fast as it
// can or in real time (the speaker's tile changing size as the mix goes,
// grid's not). Before, the muxer wrote random identifiers, and in the
// speaker layout pictures scaled ahead for a tile that then changed were
// shown scaled twice, as the goroutines happened to run.
func TestMixIsReproducible(t *testing.T) {
	var parts []Participant
	for _, arg := range []string{"p01.ivf+p01.ogg", "p02.h264+p02.ogg", "p03.ivf+p03.ogg", "p04.ivf"} {
		v, a, _ := strings.Cut(arg, "+")
		arg = mediatest.TestdataPath(t, v)
		if a != "" {
			arg += "+" + mediatest.TestdataPath(t, a)
		}
		p, err := ParseParticipant(arg)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	for _, mode := range []layout.Mode{layout.Grid, layout.Speaker} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := mixer.DefaultConfig()
			cfg.Video.Width, cfg.Video.Height = 640, 360
			cfg.Layout = mode
			dir := t.TempDir()
			var first []byte
			for i, realtime := range []bool{false, false, false, true} {
				if realtime && testing.Short() {
					break
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				out := filepath.Join(dir, strings.Repeat("x", i+1)+".webm")
				_, err := Mix(ctx, parts, Options{Output: out, Mixer: cfg, Realtime: realtime})
				cancel()
				if err != nil {
					t.Fatalf("mix %d: %v", i+1, err)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = b
					continue
				}
				if !slices.Equal(b, first) {
					t.Errorf("mix %d (real time: %v) differs from the first: %d bytes against %d", i+1, realtime, len(b), len(first))
				}
			}
		})
	}
}

// TestMixOfLateAudioIsNoWarning: sound that starts late in its file (a
// participant who joined after the recording began) is preceded by
// silence, and that is not sound missing: no warning.
func TestMixOfLateAudioIsNoWarning(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.mka")
	late, offset := filepath.Join(dir, "late.mka"), filepath.Join(dir, "offset.mka")
	ffmpegRuns(t, [][]string{
		toneMKA(whole),
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=lt(n\,50)`, late},
		{"-i", mediatest.TestdataPath(t, "p01.ivf"), "-itsoffset", "0.5", "-i", whole, "-map", "0:v", "-map", "1:a", "-c", "copy", offset},
	})
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 160, 90
	for _, in := range []string{late, offset} {
		p, err := ParseParticipant(in)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Mix(context.Background(), []Participant{p}, Options{Output: in + "-mix.webm", Mixer: cfg, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Warnings != 0 || res.Gaps != 0 {
			t.Errorf("%s: %d warnings, %d gaps in the sound; want none", filepath.Base(in), res.Warnings, res.Gaps)
		}
	}
}
