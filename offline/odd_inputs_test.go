package offline

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
)

// TestFileVideoNearestPictureAtALowerRate: a 30 fps clip mixed at a lower
// rate (-fps 1, 5, 10) shows at each tick the picture nearest to the tick,
// as the comment on fileVideo.slack says, not the one half an output
// frame later (which puts the picture ahead of the sound by up to 500 ms
// at -fps 1).
func TestFileVideoNearestPictureAtALowerRate(t *testing.T) {
	for _, fps := range []int{1, 5, 10} {
		p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf")) // 30 fps
		if err != nil {
			t.Fatal(err)
		}
		frame := time.Second / time.Duration(fps)
		v := newFileVideo(p.Video, p.videoInfo, frame, make(chan struct{}, 1), slog.New(slog.NewTextHandler(io.Discard, nil)))
		v.SetBox(layout.Size{W: 160, H: 90}, layout.Fit)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		done := make(chan error, 1)
		go func() { done <- v.run(ctx) }()
		for k := int64(0); k < int64(2*fps); k++ {
			tick := time.Duration(k) * frame
			f, err := v.VideoAt(ctx, tick)
			if err != nil {
				t.Fatal(err)
			}
			if d := f.PTS - tick; d < -17*time.Millisecond || d > 17*time.Millisecond {
				t.Errorf("-fps %d: tick %v shows the picture of %v (%v off; the nearest is within half an input frame)", fps, tick, f.PTS, d)
			}
		}
		cancel()
		<-done
	}
}

// TestParseParticipantNamesASecondVoice: an Ogg holding two Opus streams
// (two microphones) is mixed with the first only; the second is named, as
// every other stream left out is, rather than dropped without a word.
func TestParseParticipantNamesASecondVoice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "two.ogg")
	ffmpegRuns(t, [][]string{{"-f", "lavfi", "-i", "sine=f=660:d=1", "-f", "lavfi", "-i", "sine=f=880:d=1",
		"-map", "0", "-map", "1", "-c:a", "libopus", path}})
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Audio != path || len(p.Skipped) != 1 || p.Skipped[0] != path+": audio opus" {
		t.Errorf("audio %q, skipped %q: want the first stream read and the second named", p.Audio, p.Skipped)
	}
}

// TestMeasureTrimsMatroskaPadding: 3 s of sound in 120 ms Opus packets in
// WebM lasts 3 s, not 3.114 s (the last packet's DiscardPadding, which the
// decoder drops, counted): the mix would end with 4 pictures of silence.
func TestMeasureTrimsMatroskaPadding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tone.webm")
	ffmpegRuns(t, [][]string{{"-f", "lavfi", "-i", "sine=f=440:d=3", "-c:a", "libopus", "-frame_duration", "120", path}})
	p := measured(t, path)
	if d := p.length - 3*time.Second; d < -10*time.Millisecond || d > 10*time.Millisecond {
		t.Errorf("lasts %v, want 3 s", p.length)
	}
}

// TestMeasureRawH264At15fps: 45 pictures of raw H.264 at 15 fps last 3 s,
// not a few nanoseconds more (each packet's 1/15 s rounded up to the
// nanosecond), which made the mix a picture longer.
func TestMeasureRawH264At15fps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "15.h264")
	ffmpegRuns(t, [][]string{{"-f", "lavfi", "-i", "testsrc=s=160x90:r=15:d=3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-f", "h264", path}})
	p := measured(t, path)
	if p.length != 3*time.Second {
		t.Errorf("lasts %v, want 3 s", p.length)
	}
}

// TestFileVideoKeepsTheLastBFrames: H.264 with B-frames holds its last
// pictures in the decoder until the stream ends; all 90 come out (no
// repository test failed with the flush at the end removed).
func TestFileVideoKeepsTheLastBFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.h264")
	ffmpegRuns(t, [][]string{{"-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=3", "-pix_fmt", "yuv420p",
		"-c:v", "libx264", "-x264-params", "bframes=3:b-adapt=0", "-f", "h264", path}})
	times, _ := decodeFile(t, path)
	if len(times) != 90 {
		t.Errorf("%d pictures, want 90", len(times))
	}
}
