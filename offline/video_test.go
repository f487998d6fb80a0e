package offline

import (
	"context"
	"image"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
	"mcu/layout"
)

// TestFileVideoWaitsForItsTile: a file's decoder decodes nothing until the
// mixer has told it its tile, so its first picture already has the tile's
// size (pictures decoded at the clip's own size before that used to make a
// 16-person mix's peak memory).
func TestFileVideoWaitsForItsTile(t *testing.T) {
	p, err := ParseParticipant(mediatest.TestdataPath(t, "p01.ivf")) // 640x360
	if err != nil {
		t.Fatal(err)
	}
	slots := make(chan struct{}, 1)
	v := newFileVideo(p.Video, p.videoInfo, time.Second/30, slots, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.run(ctx) }()

	select {
	case f := <-v.ready:
		t.Fatalf("a %dx%d picture came before the tile was set", f.Width(), f.Height())
	case err := <-done:
		t.Fatalf("run ended before the tile was set: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	v.SetBox(layout.Size{W: 320, H: 180}, layout.Fit)
	select {
	case f := <-v.ready:
		if f.Width() != 320 || f.Height() != 180 {
			t.Errorf("first picture %dx%d, want the tile's 320x180", f.Width(), f.Height())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no picture after the tile was set")
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("run returned nil after cancel")
	}
}

// TestFileVideoCountsDroppedPictures: raw H.264 has no times, so pictures
// are timed by their number; a clip whose first keyframe is lost has a
// second of pictures the decoder cannot use before the next one, and the
// first picture shown must come at that keyframe's time, not at 0, or the
// whole clip runs ahead of its participant's sound.
func TestFileVideoCountsDroppedPictures(t *testing.T) {
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.h264"))
	if err != nil {
		t.Fatal(err)
	}
	// Take the first IDR picture out (the parameter sets before it stay):
	// the file starts with the predicted pictures of the first second, as
	// when a keyframe was lost.
	nal := func(from, typ int) int { // the next NAL of this type (any: -1), at its start code
		for i := from; i+3 < len(data); i++ {
			if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 && (typ < 0 || int(data[i+3]&0x1f) == typ) {
				return i
			}
		}
		return -1
	}
	idr := nal(0, 5)
	next := nal(idr+3, -1)
	if idr < 0 || next < 0 {
		t.Fatal("no IDR picture followed by more in the clip")
	}
	cut := append(append([]byte{}, data[:idr]...), data[next:]...)
	path := filepath.Join(t.TempDir(), "cut.h264")
	if err := os.WriteFile(path, cut, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	frame := time.Second / 30
	v := newFileVideo(p.Video, p.videoInfo, frame, make(chan struct{}, 1), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.run(ctx) }()
	v.SetBox(layout.Size{W: 320, H: 180}, layout.Fit)
	select {
	case f := <-v.ready:
		// The clip's keyframes are 30 pictures apart; 29 come before the
		// second one.
		if want := 29 * frame; f.PTS < want-time.Millisecond || f.PTS > want+time.Millisecond {
			t.Errorf("first picture at %v, want %v (29 pictures dropped before it)", f.PTS, want)
		}
	case err := <-done:
		t.Fatalf("run ended without a picture: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no picture")
	}
	if v.skipped != 29 {
		t.Errorf("%d packets skipped, want 29", v.skipped)
	}
}

// decodeFile runs a participant's video through fileVideo and returns the
// times of the pictures it gives.
func decodeFile(t *testing.T, path string) ([]time.Duration, *fileVideo) {
	t.Helper()
	v, _, wait := runFileVideo(t, path)
	var times []time.Duration
	for f := range v.ready { // closed when run ends
		times = append(times, f.PTS)
		v.free <- f
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	return times, v
}

// runFileVideo starts decoding a participant's video through fileVideo,
// for a 160x90 tile, and returns it, the context its run stops with (in
// 20 s at most), and a wait for the run's end.
func runFileVideo(t *testing.T, path string) (*fileVideo, context.Context, func() error) {
	t.Helper()
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	v := newFileVideo(p.Video, p.videoInfo, time.Second/30, make(chan struct{}, 1), slog.New(slog.NewTextHandler(io.Discard, nil)))
	v.SetBox(layout.Size{W: 160, H: 90}, layout.Fit)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- v.run(ctx) }()
	return v, ctx, func() error { return <-done }
}

// TestFileVideoPreroll: an MP4 cut without re-encoding starts with the
// pictures from the keyframe before the cut, marked by its edit list as not
// to be shown; they are decoded for the pictures after them and not shown.
func TestFileVideoPreroll(t *testing.T) {
	dir := t.TempDir()
	whole, cut := filepath.Join(dir, "whole.mp4"), filepath.Join(dir, "cut.mp4")
	ffmpegRuns(t, [][]string{
		{"-r", "30", "-i", mediatest.TestdataPath(t, "p01.h264"), "-c", "copy", whole},
		{"-ss", "0.5", "-i", whole, "-c", "copy", cut},
	})
	times, v := decodeFile(t, cut)
	// 90 pictures, the first 15 before the cut.
	if len(times) != 75 || times[0] != 0 {
		t.Errorf("%d pictures from %v, want 75 from 0s", len(times), times[:min(len(times), 3)])
	}
	if v.corrupt != 0 {
		t.Errorf("%d pictures counted damaged", v.corrupt)
	}
}

// TestFileVideoShowsEveryPicture: a 30 fps clip mixed at 30 fps shows each
// of its pictures at one tick, none twice and none skipped, though the
// container's times, rounded to the nanosecond, fall up to a nanosecond
// after their tick.
func TestFileVideoShowsEveryPicture(t *testing.T) {
	for _, clip := range []string{"p01.ivf", "p01.h264"} {
		t.Run(clip, func(t *testing.T) {
			v, ctx, wait := runFileVideo(t, mediatest.TestdataPath(t, clip))
			var last time.Duration = -1
			ticks := 0
			for k := int64(0); ; k++ {
				tick := time.Duration(k * int64(time.Second) / 30) // as the mixer's ticks
				f, err := v.VideoAt(ctx, tick)
				if err != nil {
					t.Fatal(err)
				}
				if v.ended && v.next == nil && f.PTS == last {
					break // the clip's last picture, kept
				}
				if f.PTS == last {
					t.Fatalf("tick %d (%v) shows the picture of %v again", k, tick, f.PTS)
				}
				if want := tick; f.PTS < want-time.Millisecond || f.PTS > want+time.Millisecond {
					t.Fatalf("tick %d (%v) shows the picture of %v", k, tick, f.PTS)
				}
				last, ticks = f.PTS, ticks+1
			}
			if err := wait(); err != nil {
				t.Fatal(err)
			}
			if ticks < 60 {
				t.Errorf("%d pictures shown, want the clip's (2–4 s at 30 fps)", ticks)
			}
		})
	}
}

// TestFileVideoRawH264AtItsRate: raw H.264 has no times, so its pictures
// are timed by their number at the stream's own rate: picture 50 of a
// 25 fps clip is at 2 s, whatever the mix's rate.
func TestFileVideoRawH264AtItsRate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "25.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=25:d=3",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-bf", "0", "-f", "h264", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	times, _ := decodeFile(t, path)
	if len(times) != 75 {
		t.Fatalf("%d pictures, want 75", len(times))
	}
	if d := times[50] - 2*time.Second; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("picture 50 at %v, want 2s (25 fps)", times[50])
	}
}

// TestWholeIn: a whole picture scaled for a tile fits in it or covers it,
// keeps its shape to within the rounding to even sizes, and is never made
// larger than it is.
func TestWholeIn(t *testing.T) {
	for _, c := range []struct {
		w, h   int
		tile   layout.Size
		aspect layout.Aspect
		want   image.Point
	}{
		{1920, 1080, layout.Size{W: 960, H: 540}, layout.Fit, image.Pt(960, 540)},
		{1920, 1080, layout.Size{W: 960, H: 540}, layout.Fill, image.Pt(960, 540)},
		{1920, 1080, layout.Size{W: 960, H: 720}, layout.Fit, image.Pt(960, 540)},   // the width decides
		{1920, 1080, layout.Size{W: 960, H: 720}, layout.Fill, image.Pt(1280, 720)}, // the height
		{1080, 1920, layout.Size{W: 960, H: 540}, layout.Fit, image.Pt(304, 540)},   // 303.75
		{1080, 1920, layout.Size{W: 960, H: 540}, layout.Fill, image.Pt(960, 1706)}, // 1706.67
		{640, 360, layout.Size{W: 960, H: 540}, layout.Fit, image.Pt(640, 360)},     // never larger
		{641, 361, layout.Size{W: 960, H: 540}, layout.Fill, image.Pt(640, 360)},    // as it is, but even
		{1, 361, layout.Size{W: 960, H: 540}, layout.Fill, image.Pt(1, 361)},        // too thin to cut
		{640, 359, layout.Size{W: 640, H: 360}, layout.Fit, image.Pt(640, 358)},     // the width fits exactly: kept, cut even
		{1000, 100, layout.Size{W: 4, H: 4}, layout.Fit, image.Pt(4, 2)},            // 4 × 0.4: 2 at least
		{641, 361, layout.Size{W: 320, H: 180}, layout.Fit, image.Pt(320, 180)},     // 320 × 180.2
		{333, 247, layout.Size{W: 2, H: 2}, layout.Fit, image.Pt(2, 2)},             // 2 × 1.5 at least 2
		{640, 360, layout.Size{W: 0, H: 0}, layout.Fill, image.Pt(640, 360)},        // no tile: as it is
	} {
		crop, got := wholeIn(c.w, c.h, c.tile, c.aspect)
		if got != c.want {
			t.Errorf("%dx%d for a %v tile, %v: %v, want %v", c.w, c.h, c.tile, c.aspect, got, c.want)
		}
		// Whole: all of it, or, kept at its size, all but an odd last row
		// or column.
		if want := image.Rect(0, 0, c.w, c.h); crop != want && (got.X > c.w || got.Y > c.h || crop != image.Rect(0, 0, c.w&^1, c.h&^1) || crop.Size() != got) {
			t.Errorf("%dx%d for a %v tile, %v: crop %v for %v", c.w, c.h, c.tile, c.aspect, crop, got)
		}
	}
}
