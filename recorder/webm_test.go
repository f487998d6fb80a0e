//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"weak"

	"mcu/codec"
	"mcu/internal/diskspace"
	"mcu/internal/mediatest"
)

func TestMain(m *testing.M) {
	codec.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if path := os.Getenv("MCU_RECORDER_CHILD"); path != "" {
		// The child of TestWebMSurvivesKill: record until killed.
		if err := recordForever(path); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// clip makes n seconds of encoded VP8 (320x180, 30 fps) and Opus (a tone).
type clip struct {
	video *codec.VP8Encoder
	audio *codec.OpusEncoder
	pic   *codec.Frame
	pcm   []int16
}

func newClip(t testing.TB) *clip {
	cfg := codec.DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyframeInterval = 320, 180, 300_000, 30
	v, err := codec.NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a, err := codec.NewOpusEncoder(codec.DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return &clip{video: v, audio: a, pic: codec.NewFrame(320, 180), pcm: make([]int16, 1920)}
}

// startRecording starts a 320x180 recording of room "room" in a folder
// of the test's, logging nowhere.
func startRecording(t *testing.T) *Recording {
	t.Helper()
	r, err := Start(t.TempDir(), "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replaceSync has files synced through sync, given the real syncFile,
// until the test ends.
func replaceSync(t *testing.T, sync func(f *os.File, real func(*os.File) error) error) {
	real := syncFile
	syncFile = func(f *os.File) error { return sync(f, real) }
	t.Cleanup(func() { syncFile = real })
}

func (c *clip) videoFrame(i int) (codec.EncodedFrame, error) {
	codec.FillRect(&c.pic.YCbCr, c.pic.Rect, 90, 100, 170)
	x := (i * 8) % 280
	codec.FillRect(&c.pic.YCbCr, image.Rect(x, 60, x+40, 120), 235, 128, 128)
	return c.video.Encode(&c.pic.YCbCr, time.Duration(i)*time.Second/30, false)
}

func (c *clip) audioFrame(i int) (codec.EncodedFrame, error) {
	for s := range 960 {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i*960+s)/48000))
		c.pcm[2*s], c.pcm[2*s+1] = v, v
	}
	data, err := c.audio.Encode(c.pcm)
	return codec.EncodedFrame{Data: data, PTS: time.Duration(i) * 20 * time.Millisecond, Duration: 20 * time.Millisecond, Key: true}, err
}

// write feeds d of media in clock order; pace > 0 sleeps to run in real time.
func (c *clip) write(w *WebMWriter, d time.Duration, pace bool) error {
	start := time.Now()
	vi, ai := 0, 0
	for {
		vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
		if vt >= d && at >= d {
			return nil
		}
		t := min(vt, at)
		if pace {
			time.Sleep(time.Until(start.Add(t)))
		}
		if vt <= at {
			f, err := c.videoFrame(vi)
			if err != nil {
				return err
			}
			if err := w.WriteVideo(f); err != nil {
				return err
			}
			vi++
		} else {
			f, err := c.audioFrame(ai)
			if err != nil {
				return err
			}
			if err := w.WriteAudio(f); err != nil {
				return err
			}
			ai++
		}
	}
}

type probe struct {
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		SampleRate   string `json:"sample_rate"`
		Channels     int    `json:"channels"`
		NbReadFrames string `json:"nb_read_frames"`
	} `json:"streams"`
}

// ffprobe reads the file with an independent parser and decodes every frame.
func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-count_frames", "-print_format", "json",
		"-show_format", "-show_streams", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWebMReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, 3*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	p := ffprobe(t, path)
	if p.Format.FormatName != "matroska,webm" || len(p.Streams) != 2 {
		t.Fatalf("format %q with %d streams", p.Format.FormatName, len(p.Streams))
	}
	v, a := p.Streams[0], p.Streams[1]
	if v.CodecName != "vp8" || v.Width != 320 || v.Height != 180 || v.NbReadFrames != "90" {
		t.Errorf("video: %+v", v)
	}
	if a.CodecName != "opus" || a.SampleRate != "48000" || a.Channels != 2 || a.NbReadFrames != "150" {
		t.Errorf("audio: %+v", a)
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-3) > 0.05 {
		t.Errorf("duration %s, want 3 s", p.Format.Duration)
	}
	// What the writer says it wrote: to the end of the last frame, the
	// 150th of 20 ms of sound.
	if d := w.Duration(); d != 3*time.Second {
		t.Errorf("the writer says %v written, want 3s", d)
	}
	data, _ := os.ReadFile(path)
	if mediatest.WebMElements(data)[mediatest.EBMLCues] != 1 {
		t.Error("no Cues element: the file is not seekable")
	}
	if w.VideoFrames != 90 || w.AudioFrames != 150 {
		t.Errorf("counted %d video and %d audio frames", w.VideoFrames, w.AudioFrames)
	}
	checkOpusTrack(t, data)
	// The video track's DefaultDuration says the frame rate (mcu finish
	// reads it back).
	for _, tr := range mediatest.WebMTracks(data) {
		if string(tr[0x86]) == "V_VP8" {
			if d := time.Duration(mediatest.EBMLUint(tr[0x23e383])); d != time.Second/30 {
				t.Errorf("the video track's DefaultDuration %v, want %v", d, time.Second/30)
			}
		}
	}
}

// checkOpusTrack asks of a WebM file's Opus track what Matroska does: a
// CodecDelay equal to the OpusHead's pre-skip (an absent one counts as zero;
// Firefox compares the two, and older releases refused the track when they
// differed), and a SeekPreRoll of 80 ms, which players decode ahead of a
// seek target.
func checkOpusTrack(t *testing.T, data []byte) {
	t.Helper()
	for _, tr := range mediatest.WebMTracks(data) {
		if string(tr[0x86]) != "A_OPUS" {
			continue
		}
		head := tr[0x63a2]
		if len(head) < 19 || string(head[:8]) != "OpusHead" {
			t.Fatalf("CodecPrivate %x is not an OpusHead", head)
		}
		preSkip := time.Duration(binary.LittleEndian.Uint16(head[10:])) * time.Second / 48000
		delay, ok := tr[0x56aa]
		if got := time.Duration(mediatest.EBMLUint(delay)); !ok || got != preSkip || preSkip == 0 {
			t.Errorf("CodecDelay %v (present: %v), pre-skip %v: they must match", got, ok, preSkip)
		}
		if got := time.Duration(mediatest.EBMLUint(tr[0x56bb])); got != 80*time.Millisecond {
			t.Errorf("SeekPreRoll %v, want 80ms", got)
		}
		// The Audio element's Channels, which players read before any
		// packet, agrees with the OpusHead's channel count.
		if ch := mediatest.EBMLUint(mediatest.EBMLFields(tr[0xe1])[0x9f]); ch != uint64(head[9]) || ch != 2 {
			t.Errorf("the track's Channels %d, the OpusHead's %d: want 2 both", ch, head[9])
		}
		return
	}
	t.Error("no Opus track")
}

// TestWebMSurvivesKill records in real time in a child process, kills it
// without warning once the file shows a third cluster begun, and shows the
// file still decodes up to there: clusters reach the disk as they close.
func TestWebMSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 3 s")
	}
	path := filepath.Join(t.TempDir(), "killed.webm")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MCU_RECORDER_CHILD="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const clusters = 3
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCluster] >= clusters {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the recording never showed %d clusters in 20 s: %s", clusters, stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v %s", err, stderr.String())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] != 0 {
		t.Fatal("a killed recording has cues: the child finished instead of being killed")
	}
	p := ffprobe(t, path)
	if len(p.Streams) != 2 {
		t.Fatalf("%d streams in the killed file", len(p.Streams))
	}
	frames, _ := strconv.Atoi(p.Streams[0].NbReadFrames)
	packets, _ := strconv.Atoi(p.Streams[1].NbReadFrames)
	// The clusters before the third are whole on disk: a second each,
	// 30 pictures and 50 audio packets.
	if frames < 30*(clusters-1) || packets < 50*(clusters-1) {
		t.Errorf("killed file holds %d pictures and %d audio packets, want ≥ %d and ≥ %d", frames, packets, 30*(clusters-1), 50*(clusters-1))
	}
	t.Logf("killed with %d clusters on disk: %d pictures, %d audio packets readable", clusters, frames, packets)
}

func recordForever(path string) error {
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		return err
	}
	return newClip(&testing.T{}).write(w, time.Hour, true)
}

func TestWebMWriterRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180}); err == nil {
		t.Error("CreateWebM overwrote an existing file")
	}
	c := newClip(t)
	key, _ := c.videoFrame(0)
	delta, _ := c.videoFrame(1)
	// A recording starts at a keyframe: earlier deltas are dropped.
	if err := w.WriteVideo(delta); err != nil || w.VideoFrames != 0 || w.DroppedBeforeKey != 1 {
		t.Errorf("delta before key: err %v, %d written, %d dropped", err, w.VideoFrames, w.DroppedBeforeKey)
	}
	key.PTS = 100 * time.Millisecond
	if err := w.WriteVideo(key); err != nil {
		t.Fatal(err)
	}
	delta.PTS = 200 * time.Millisecond
	if err := w.WriteVideo(delta); err != nil {
		t.Fatal(err)
	}
	delta.PTS = 150 * time.Millisecond
	if err := w.WriteVideo(delta); err == nil {
		t.Error("time going backwards accepted")
	}
	// The other stream's packets from before the file's start are dropped.
	a, _ := c.audioFrame(0)
	if err := w.WriteAudio(a); err != nil || w.AudioFrames != 0 {
		t.Errorf("audio from before the start: %v, %d written", err, w.AudioFrames)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteVideo(key); err == nil {
		t.Error("write after close accepted")
	}
}

// TestWebMStartsAtKeyframe: the audio of a live room runs a little ahead of
// its video (the encoder is a frame behind), so a recording sees audio
// before its first keyframe. The file starts at the keyframe and keeps the
// audio from that time on.
func TestWebMStartsAtKeyframe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "start.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	for i := range 6 { // audio 0..100 ms arrives first
		a, _ := c.audioFrame(i)
		if err := w.WriteAudio(a); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := c.videoFrame(0)
	key.PTS = 93 * time.Millisecond
	if err := w.WriteVideo(key); err != nil {
		t.Fatal(err)
	}
	if w.VideoFrames != 1 || w.AudioFrames != 1 || w.DroppedBeforeStart != 5 {
		t.Errorf("after the keyframe: %d video, %d audio written, %d dropped; want 1, 1 (the 100 ms frame), 5",
			w.VideoFrames, w.AudioFrames, w.DroppedBeforeStart)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, path)
	if len(p.Streams) != 2 || p.Streams[0].NbReadFrames != "1" {
		t.Errorf("streams %+v", p.Streams)
	}
}

// TestWebMHeldAudioPastABadTime: of the audio held for the first keyframe,
// a frame whose time does not move on is left out, and the frames after it
// are written; the keyframe itself is written without an error.
func TestWebMHeldAudioPastABadTime(t *testing.T) {
	w, err := CreateWebM(filepath.Join(t.TempDir(), "held.webm"), WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	for _, i := range []int{0, 1, 1, 2, 3} { // the second frame twice
		a, _ := c.audioFrame(i)
		if err := w.WriteAudio(a); err != nil {
			t.Fatal(err)
		}
	}
	key, _ := c.videoFrame(0)
	if err := w.WriteVideo(key); err != nil {
		t.Errorf("the keyframe: %v", err)
	}
	if w.VideoFrames != 1 || w.AudioFrames != 4 || w.DroppedBeforeStart != 1 {
		t.Errorf("%d video, %d audio written, %d dropped; want 1, 4, 1", w.VideoFrames, w.AudioFrames, w.DroppedBeforeStart)
	}
}

// TestRecordingPastABadTime: a frame whose time goes backwards is left out
// of the recording, and the recording goes on (it used to stop writing for
// good at the first refused frame); a refused video frame takes the deltas
// after it with it until the next keyframe, for which the recording asks
// (OnGap), once; a refused audio frame asks for nothing.
func TestRecordingPastABadTime(t *testing.T) {
	r := startRecording(t)
	var gaps atomic.Int32
	r.OnGap(func() { gaps.Add(1) })
	c := newClip(t)
	var video []codec.EncodedFrame
	for i := range 5 {
		f, err := c.video.Encode(&c.pic.YCbCr, time.Duration(i)*time.Second/30, i == 3)
		if err != nil {
			t.Fatal(err)
		}
		video = append(video, f)
	}
	r.Video(video[0])
	r.Video(video[1])
	r.Video(video[1]) // refused: its time again
	r.Video(video[2]) // left out: it needs the refused frame
	r.Video(video[3]) // a keyframe: video goes on
	r.Video(video[4])
	for i := range 10 {
		a, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		r.Audio(a)
		if i == 4 {
			r.Audio(a) // refused
		}
	}
	if _, err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if r.w.VideoFrames != 4 || r.w.AudioFrames != 10 {
		t.Errorf("%d video and %d audio frames written, want 4 (0, 1, 3, 4) and 10", r.w.VideoFrames, r.w.AudioFrames)
	}
	if n := gaps.Load(); n != 1 {
		t.Errorf("%d keyframes asked for, want 1 (for the refused video frame)", n)
	}
}

// TestRecordingStopsTogether: every Stop, however many run at once,
// returns once the file is finalized, with the same result.
func TestRecordingStopsTogether(t *testing.T) {
	r := startRecording(t)
	c := newClip(t)
	for i := range 30 {
		f, err := c.videoFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		r.Video(f)
	}
	results := make(chan error, 4)
	for range cap(results) {
		go func() {
			path, err := r.Stop()
			data, rerr := os.ReadFile(path)
			if err == nil && (rerr != nil || mediatest.WebMElements(data)[mediatest.EBMLCues] == 0) {
				err = errors.New("Stop returned before the file was finalized (no cues)")
			}
			results <- err
		}()
	}
	for range cap(results) {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
}

// TestRecordingAsksForAKeyframeWhenThereIsRoom: video dropped for a full
// queue (a slow disk) is followed by a request for a keyframe only once
// the queue has room for it, once; a keyframe that still finds the queue
// full arms one more request.
func TestRecordingAsksForAKeyframeWhenThereIsRoom(t *testing.T) {
	// No writer goroutine: the test drains the queue itself.
	r := &Recording{queue: make(chan item, 8), log: slog.New(slog.DiscardHandler)}
	var asks int
	r.OnGap(func() { asks++ })
	delta, key := codec.EncodedFrame{}, codec.EncodedFrame{Key: true}
	drain := func(n int) {
		for range n {
			<-r.queue
		}
	}
	for range 8 {
		r.Video(delta) // the queue fills
	}
	for range 5 {
		r.Video(delta) // dropped: full, then skipped
	}
	if asks != 0 {
		t.Fatalf("%d keyframes asked for while the queue is full, want 0", asks)
	}
	drain(5) // the disk catches up: 3 queued
	for range 5 {
		r.Video(delta)
	}
	if asks != 1 {
		t.Fatalf("%d keyframes asked for once the queue had room, want 1", asks)
	}
	for range 5 {
		r.Audio(delta) // the queue fills again before the keyframe comes
	}
	r.Video(key) // dropped: full
	drain(8)
	r.Video(delta)
	if asks != 2 {
		t.Fatalf("%d keyframes asked for after the keyframe found the queue full, want 2", asks)
	}
	r.Video(key) // gets in: the gap ends
	r.Video(delta)
	if r.skipVideo || len(r.queue) != 2 || asks != 2 {
		t.Errorf("after the keyframe: skipping %v, %d queued, %d asks; want false, 2, 2", r.skipVideo, len(r.queue), asks)
	}
}

// TestRecordingNames: recordings of a room begun within one second get
// names of their own, "-2" and on, up to 99; the next one gets ErrTooMany
// and leaves the files there as they were.
func TestRecordingNames(t *testing.T) {
	dir, now := t.TempDir(), time.Now()
	cfg := WebMConfig{Width: 320, Height: 180, FPS: 30}
	var paths []string
	for range 2 {
		r, err := Start(dir, "room", now, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, r.Path())
		stopWithASound(t, r)
	}
	first, second := paths[0], paths[1]
	if want := strings.TrimSuffix(first, ".webm") + "-2.webm"; second != want {
		t.Fatalf("the second recording of the second is %s, want %s", second, want)
	}
	// The names up to 98 taken, as by 96 more recordings: the next is -99.
	for i := 3; i <= 98; i++ {
		if err := os.WriteFile(strings.TrimSuffix(first, ".webm")+"-"+strconv.Itoa(i)+".webm", nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	last, err := Start(dir, "room", now, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSuffix(first, ".webm") + "-99.webm"; last.Path() != want {
		t.Errorf("the 99th recording of the second is %s, want %s", last.Path(), want)
	}
	stopWithASound(t, last)
	before, err := os.Stat(second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(dir, "room", now, cfg, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrTooMany) {
		t.Errorf("the 100th recording of a second: %v, want ErrTooMany", err)
	}
	files, _ := os.ReadDir(filepath.Join(dir, "room"))
	if len(files) != 99 {
		t.Errorf("%d files, want 99", len(files))
	}
	for _, f := range files {
		if info, _ := f.Info(); !strings.HasSuffix(f.Name(), "-2.webm") && !strings.HasSuffix(f.Name(), "-99.webm") && f.Name() != filepath.Base(first) && info.Size() != 0 {
			t.Errorf("%s was written to (%d bytes)", f.Name(), info.Size())
		}
	}
	if after, err := os.Stat(second); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the second recording changed: %v", err)
	}
}

// stopWithASound gives r one frame of sound, so that its file is kept,
// and stops it.
func stopWithASound(t *testing.T, r *Recording) {
	t.Helper()
	a, err := newClip(t).audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	r.Audio(a)
	if _, err := r.Stop(); err != nil {
		t.Fatal(err)
	}
}

// TestRecordingOnAFullDisk: when the disk fills, the recording says so
// (Err) while it runs, takes no more frames, and Stop returns the error
// with the path of the file, which keeps the media written before.
func TestRecordingOnAFullDisk(t *testing.T) {
	r := startRecording(t)
	feed := feeder(t, r)
	// 2.5 s, written: two clusters of a second in the file, the third
	// held by the muxer.
	feed(0, 2500*time.Millisecond)
	written(t, r)
	if err := r.Err(); err != nil {
		t.Fatalf("Err before the disk filled: %v", err)
	}
	mediatest.FillDisk(t, r.Path())
	feed(2500*time.Millisecond, 5*time.Second)
	waitFor(t, 5*time.Second, "Err once the disk is full", func() bool { return r.Err() != nil })
	if !errors.Is(r.Err(), syscall.ENOSPC) {
		t.Errorf("Err = %v, want ENOSPC", r.Err())
	}
	path, err := r.Stop()
	if path != r.Path() || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Stop = %q, %v; want %q and ENOSPC", path, err, r.Path())
	}
	// The file keeps what was written before: at least its first two
	// seconds, every frame decodable.
	p := ffprobe(t, path)
	var frames []int
	for _, st := range p.Streams {
		n, _ := strconv.Atoi(st.NbReadFrames)
		frames = append(frames, n)
	}
	if len(frames) != 2 || frames[0] < 60 || frames[1] < 98 {
		t.Errorf("file after the disk filled: %v frames (video, audio); want the 2 s written before: 60 and ~100", frames)
	}
}

// feeder returns what gives r the clip's frames from one time to
// another, video and audio in time order.
func feeder(t *testing.T, r *Recording) func(from, to time.Duration) {
	c := newClip(t)
	return func(from, to time.Duration) {
		for vi, ai := int(from*30/time.Second), int(from/(20*time.Millisecond)); ; {
			vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
			if vt >= to && at >= to {
				return
			}
			if vt <= at {
				f, err := c.videoFrame(vi)
				if err != nil {
					t.Fatal(err)
				}
				r.Video(f)
				vi++
			} else {
				f, err := c.audioFrame(ai)
				if err != nil {
					t.Fatal(err)
				}
				r.Audio(f)
				ai++
			}
		}
	}
}

// TestRecordingKeepsDiskSpace: a recording does not start on a disk with
// less free than MinFree, and one whose disk gets down to it takes no
// more frames (Err says so) while the file is whole: its stop finalizes
// it, with its duration and cues, where a full disk leaves no room to.
func TestRecordingKeepsDiskSpace(t *testing.T) {
	var free atomic.Uint64
	real := diskspace.Free
	diskspace.Free = func(string) (uint64, bool) { return free.Load(), true }
	t.Cleanup(func() { diskspace.Free = real })
	const min = 1 << 30
	cfg := WebMConfig{Width: 320, Height: 180, FPS: 30, MinFree: min}
	dir := t.TempDir()

	free.Store(min - 1)
	if _, err := Start(dir, "room", time.Now(), cfg, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrLowDisk) {
		t.Fatalf("a start with a byte too few free: %v, want ErrLowDisk", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("a refused start left %v", files)
	}

	free.Store(min)
	r, err := Start(dir, "room", time.Now(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	feed := feeder(t, r)
	feed(0, 2500*time.Millisecond)
	written(t, r)
	if err := r.Err(); err != nil {
		t.Fatalf("Err with MinFree free: %v", err)
	}
	free.Store(min - 1)
	feed(2500*time.Millisecond, 5*time.Second)
	waitFor(t, 5*time.Second, "Err once the disk is nearly full", func() bool { return r.Err() != nil })
	if !errors.Is(r.Err(), ErrLowDisk) {
		t.Errorf("Err = %v, want ErrLowDisk", r.Err())
	}
	path, err := r.Stop()
	if path != r.Path() || !errors.Is(err, ErrLowDisk) || errors.Is(err, ErrEmpty) {
		t.Errorf("Stop = %q, %v; want %q and ErrLowDisk alone", path, err, r.Path())
	}
	// Finalized: a duration in its header and cues; the 2.5 s before,
	// and at most a second after (the free space is looked at once a
	// second of media).
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] != 1 {
		t.Error("no Cues: the file was not finalized")
	}
	p := ffprobe(t, path)
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	if d < 2.4 || d > 3.6 {
		t.Errorf("the file lasts %v s, want the 2.5 s written before the disk got low, and at most a second more", d)
	}
}

// written waits until r has written every frame it was given.
func written(t *testing.T, r *Recording) {
	t.Helper()
	waitFor(t, 5*time.Second, "the queue written", func() bool { return len(r.queue) == 0 })
	time.Sleep(100 * time.Millisecond) // the last frame taken from the queue is written
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %s after %v", what, within)
		}
	}
}

// TestWebMWriterIsCollected: a closed writer is garbage once dropped
// (go-astiav keeps every IO context's callbacks for good; they must not
// hold the writer, its buffers and its held audio).
func TestWebMWriterIsCollected(t *testing.T) {
	w, err := CreateWebM(filepath.Join(t.TempDir(), "out.webm"), WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, 200*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ref := weak.Make(w)
	w = nil
	for range 5 {
		runtime.GC()
		if ref.Value() == nil {
			return
		}
	}
	t.Error("a closed WebMWriter stays reachable")
}

// TestWebMClosedBeforeTheFirstKeyframe: a recording stopped before its
// first keyframe came (at once after its start) keeps the sound it held
// for it, from its first frame, instead of an empty file.
func TestWebMClosedBeforeTheFirstKeyframe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	for i := range 25 { // half a second of sound, no picture
		f, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		f.PTS += 7 * time.Second // the room's clock, not 0
		if err := w.WriteAudio(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, path)
	var audioFrames string
	for _, s := range p.Streams {
		if s.CodecName == "opus" {
			audioFrames = s.NbReadFrames
		}
	}
	if audioFrames != "25" || w.AudioFrames != 25 {
		t.Errorf("%s audio frames in the file (%d written), want 25", audioFrames, w.AudioFrames)
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); d < 0.45 || d > 0.55 {
		t.Errorf("duration %s, want half a second", p.Format.Duration)
	}
}

// TestWebMSyncsAsItGoes: a recording's file is synced to the disk every
// 5 s of media as it is written, in the background, not only at Close (12 s
// of sound: at 5 and 10 s); a file written with no SyncEvery (`mcu mix`'s)
// is synced at Close only; a file system that does not sync files ends the
// syncs and not the recording; a sync that fails is reported at the next
// frame, or by Close after the last.
func TestWebMSyncsAsItGoes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		every      time.Duration
		fail       error
		frames     int // of 20 ms
		syncs      int
		failsAt    int  // the frame whose write reports the failure; -1: none
		closeFails bool // a failure left for Close to report
	}{
		{"every 5 s", 5 * time.Second, nil, 600, 2, -1, false},
		{"only at Close", 0, nil, 600, 0, -1, false},
		{"not supported", 5 * time.Second, syscall.EINVAL, 600, 1, -1, false},
		{"failing", 5 * time.Second, syscall.EIO, 600, 2, 250, false},
		// The second sync starts at the last frame: only Close can tell.
		{"failing at the last frame", 5 * time.Second, syscall.EIO, 500, 2, 250, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			syncs := 0
			closing := false // Close's own sync works (but where syncs are not supported): what it reports is a background sync's
			replaceSync(t, func(f *os.File, sync func(*os.File) error) error {
				mu.Lock()
				syncs++
				fail := tc.fail != nil && (!closing || errors.Is(tc.fail, syscall.EINVAL))
				mu.Unlock()
				if fail {
					return tc.fail
				}
				return sync(f)
			})
			path := filepath.Join(t.TempDir(), "out.webm")
			w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30, SyncEvery: tc.every})
			if err != nil {
				t.Fatal(err)
			}
			c := newClip(t)
			key, _ := c.videoFrame(0)
			if err := w.WriteVideo(key); err != nil {
				t.Fatal(err)
			}
			a, err := c.audioFrame(0)
			if err != nil {
				t.Fatal(err)
			}
			failedAt := -1
			for i := range tc.frames {
				a.PTS = time.Duration(i) * 20 * time.Millisecond
				if err := w.WriteAudio(a); err != nil && failedAt < 0 {
					failedAt = i
					if !errors.Is(err, tc.fail) {
						t.Errorf("frame %d: %v, want the sync's %v", i, err, tc.fail)
					}
				}
				if i == 249 || i == 499 {
					// The sync this frame started (at 5 s, 10 s) is done
					// before the next: a failure is told there, whatever
					// the machine's speed.
					w.syncs.wg.Wait()
				}
			}
			if failedAt != tc.failsAt {
				t.Errorf("a sync failure reported at frame %d, want %d", failedAt, tc.failsAt)
			}
			mu.Lock()
			before := syncs
			closing = true
			mu.Unlock()
			if err := w.Close(); (err != nil) != tc.closeFails || err != nil && !errors.Is(err, tc.fail) {
				t.Errorf("Close: %v, want an error %v", err, tc.closeFails)
			}
			if before != tc.syncs || syncs != before+1 {
				t.Errorf("%d syncs before Close and %d at it, want %d and 1 (the finished file is on the disk)", before, syncs-before, tc.syncs)
			}
		})
	}
}

// TestRecordingNamedInUTC: a recording's file is named by its start in
// UTC, whatever the server's time zone.
func TestRecordingNamedInUTC(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 15, 30, 0, time.FixedZone("UTC+2", 2*3600))
	r, err := Start(t.TempDir(), "room", now, WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	stopWithASound(t, r)
	if got, want := filepath.Base(r.Path()), "room-20261205T071530Z.webm"; got != want {
		t.Errorf("recording named %s, want %s", got, want)
	}
}

// TestRecordingSyncsAsItGoes: a recording started with no sync interval
// of its own is synced to the disk every 5 s of media, not at its end
// only: a power loss takes at most that much of the meeting.
func TestRecordingSyncsAsItGoes(t *testing.T) {
	var syncs atomic.Int32
	replaceSync(t, func(f *os.File, sync func(*os.File) error) error {
		syncs.Add(1)
		return sync(f)
	})
	r := startRecording(t)
	c := newClip(t)
	key, _ := c.videoFrame(0)
	r.Video(key)
	a, err := c.audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 600 { // 12 s
		a.PTS = time.Duration(i) * 20 * time.Millisecond
		r.Audio(a)
		if i%100 == 99 {
			time.Sleep(20 * time.Millisecond) // the queue holds 256: let the writer take them
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for syncs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := syncs.Load(); n < 2 {
		t.Errorf("%d syncs in 12 s of media before the end, want 2 (every 5 s)", n)
	}
	if _, err := r.Stop(); err != nil {
		t.Fatal(err)
	}
}
