package codec_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/recorder"
)

// packetsEnd is where the packets of every stream end, as offline's
// mediaLength passes it to CutShort.
func packetsEnd(t *testing.T, in *codec.Input) time.Duration {
	var end time.Duration
	for {
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			return end
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.PTS != codec.NoPTS {
			end = max(end, p.PTS+p.Duration)
		}
	}
}

// TestCutShortNotSaidOfSegments: whole files whose times do not start at 0
// (the third segment of ffmpeg's segment muxer, which keeps the times;
// a copy with -output_ts_offset) are not cut short: their header's
// duration counts from 0, the packets' end from the file's start.
func TestCutShortNotSaidOfSegments(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	dir := t.TempDir()
	src := mediatest.TestdataPath(t, "p12.webm")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", src, "-c", "copy", "-f", "segment", "-segment_time", "1",
		"-segment_format", "webm", filepath.Join(dir, "seg%d.webm")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", mediatest.TestdataPath(t, "p01.h264"), "-c", "copy", "-output_ts_offset", "5",
		filepath.Join(dir, "off5.mp4")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	// As Chromium's MediaRecorder writes: no duration, sizes unknown.
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", src, "-c", "copy", "-live", "1", "-f", "webm",
		filepath.Join(dir, "live.webm")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	for _, name := range []string{"seg0.webm", "seg2.webm", "off5.mp4", "live.webm"} {
		in, err := codec.OpenInput(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		end := packetsEnd(t, in)
		if s := in.CutShort(end); s != "" {
			t.Errorf("%s, a whole file (packets end at %v from its start): told cut short: %s", name, end, s)
		}
		in.Close()
	}
}

// TestCutShortNotSaidOfARecordingBeingWritten: a recording mcu is still writing (its
// duration written at Close) is not told cut short.
func TestCutShortNotSaidOfARecordingBeingWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.webm")
	w, err := recorder.CreateWebM(path, recorder.WebMConfig{Width: 640, Height: 360, FPS: 30, NoAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	src, err := codec.OpenInput(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := 0; ; i++ {
		p, err := src.Read()
		if err != nil {
			break
		}
		if err := w.WriteVideo(codec.EncodedFrame{Data: p.Data, PTS: time.Duration(i) * time.Second / 30, Duration: time.Second / 30, Key: p.Key}); err != nil {
			t.Fatal(err)
		}
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	end := packetsEnd(t, in)
	if s := in.CutShort(end); s != "" {
		t.Errorf("a recording being written (packets to %v): told cut short: %s", end, s)
	}
	t.Logf("in-progress recording: packets end at %v, not told cut short", end)
}

// TestCutShortNotSaidForAStreamNotRead: an MP4 of H.264 (3 s) and AAC music
// (10 s, a stream mcu does not read) is whole: its header's duration is
// the AAC's.
func TestCutShortNotSaidForAStreamNotRead(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	path := filepath.Join(t.TempDir(), "aaclong.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", mediatest.TestdataPath(t, "p01.h264"), "-f", "lavfi", "-i", "sine=d=10",
		"-c:v", "copy", "-c:a", "aac", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	end := packetsEnd(t, in)
	if s := in.CutShort(end); s != "" {
		t.Errorf("skipped %v; packets read end at %v: told cut short: %s", in.Skipped(), end, s)
	}
}

// TestCutShortOggCutAtAPage: an Ogg cut where a page ends (a copy stopped
// between two writes) lacks the page that ends its stream: told.
func TestCutShortOggCutAtAPage(t *testing.T) {
	b, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	var ends []int
	for i := 0; i+27 <= len(b); {
		n := int(b[i+26])
		l := 27 + n
		for _, s := range b[i+27 : i+27+n] {
			l += int(s)
		}
		i += l
		ends = append(ends, i)
	}
	path := filepath.Join(t.TempDir(), "cut.ogg")
	if err := os.WriteFile(path, b[:ends[len(ends)-2]], 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if s := in.CutShort(packetsEnd(t, in)); s == "" {
		t.Error("an Ogg without its last page (the one ending its stream): not told cut short")
	}
}
