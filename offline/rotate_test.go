package offline

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"mcu/internal/mediatest"
	"mcu/layout"
	"mcu/mixer"
)

// turnMP4 writes a copy of the MP4 at src whose video track's matrix (in
// its tkhd box) turns the picture clockwise by degrees on display, as a
// phone stores a portrait video.
func turnMP4(t *testing.T, src, dst string, degrees int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("tkhd"))
	if i < 0 || i+4+96 > len(data) {
		t.Fatalf("%s: no tkhd box", src)
	}
	// Version 0: flags, times, track id, duration, reserved, layer,
	// group, volume, reserved: 40 bytes, then the 3x3 matrix in 16.16
	// (and 2.30 for its last column).
	if data[i+4] != 0 {
		t.Fatalf("%s: tkhd version %d", src, data[i+4])
	}
	m := map[int][4]int32{ // a, b, c, d
		90:  {0, 0x10000, -0x10000, 0},
		180: {-0x10000, 0, 0, -0x10000},
		270: {0, -0x10000, 0x10000, 0},
	}[degrees]
	mat := []int32{m[0], m[1], 0, m[2], m[3], 0, 0, 0, 0x40000000}
	at := i + 4 + 40
	for k, v := range mat {
		binary.BigEndian.PutUint32(data[at+4*k:], uint32(v))
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMixOfATurnedClip: a clip whose container says to turn it on display
// (a phone's portrait video, stored on its side) is mixed standing as
// FFmpeg shows it: the mix of it alone on a canvas of its upright shape
// matches FFmpeg's own turned picture.
func TestMixOfATurnedClip(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=320x180:r=30:d=1",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "0", base).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	for _, deg := range []int{90, 180, 270} {
		t.Run(fmt.Sprint(deg), func(t *testing.T) {
			clip := filepath.Join(dir, fmt.Sprintf("turned%d.mp4", deg))
			turnMP4(t, base, clip, deg)
			p, err := ParseParticipant(clip)
			if err != nil {
				t.Fatal(err)
			}
			if p.videoInfo.Rotation != deg {
				t.Fatalf("rotation %d read, want %d", p.videoInfo.Rotation, deg)
			}
			w, h := 320, 180
			if deg != 180 {
				w, h = 180, 320
			}
			// FFmpeg's first picture, turned (its -autorotate).
			ref, err := exec.Command("ffmpeg", "-v", "error", "-i", clip, "-frames:v", "1",
				"-pix_fmt", "yuv420p", "-f", "rawvideo", "-").Output()
			if err != nil || len(ref) != w*h*3/2 {
				t.Fatalf("ffmpeg's turned picture: %d bytes, %v; want %dx%d", len(ref), err, w, h)
			}
			want := &image.YCbCr{Y: ref[:w*h], Cb: ref[w*h : w*h*5/4], Cr: ref[w*h*5/4:], YStride: w, CStride: w / 2,
				SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)}
			cfg := mixer.DefaultConfig()
			cfg.Video.Width, cfg.Video.Height = w, h
			out := filepath.Join(dir, fmt.Sprintf("mix%d.webm", deg))
			if _, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg,
				Logger: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
			frames, _, err := mediatest.DecodeVideo(t.Context(), out)
			if err != nil || len(frames) == 0 {
				t.Fatalf("decode the mix: %d pictures, %v", len(frames), err)
			}
			if got := mediatest.PSNR(want, frames[0]); got < 30 {
				t.Errorf("the mix's first picture against FFmpeg's turned one: %.1f dB, want at least 30", got)
			}
			// Filling a square tile crops the middle of the standing
			// picture (a crop taken on the lying one unturned wrong would
			// show another part).
			ref, err = exec.Command("ffmpeg", "-v", "error", "-i", clip, "-frames:v", "1",
				"-vf", "crop=180:180,scale=160:160", "-sws_flags", "bilinear",
				"-pix_fmt", "yuv420p", "-f", "rawvideo", "-").Output()
			if err != nil || len(ref) != 160*160*3/2 {
				t.Fatalf("ffmpeg's turned, cropped picture: %d bytes, %v", len(ref), err)
			}
			want = &image.YCbCr{Y: ref[:160*160], Cb: ref[160*160 : 160*160*5/4], Cr: ref[160*160*5/4:], YStride: 160, CStride: 80,
				SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 160, 160)}
			cfg.Video.Width, cfg.Video.Height, cfg.Aspect = 160, 160, layout.Fill
			out = filepath.Join(dir, fmt.Sprintf("fill%d.webm", deg))
			if _, err := Mix(context.Background(), []Participant{p}, Options{Output: out, Mixer: cfg,
				Logger: slog.New(slog.DiscardHandler)}); err != nil {
				t.Fatal(err)
			}
			if frames, _, err = mediatest.DecodeVideo(t.Context(), out); err != nil || len(frames) == 0 {
				t.Fatalf("decode the mix: %d pictures, %v", len(frames), err)
			}
			got := mediatest.PSNR(want, frames[0])
			t.Logf("filling a square: %.1f dB", got)
			if got < 25 {
				t.Errorf("the mix's first picture, filling a square tile, against FFmpeg's turned and cropped one: %.1f dB, want at least 25", got)
			}
		})
	}
}

// TestUnturn: a rectangle of the turned picture maps back onto the
// picture as it lies (a 4x2 picture: turned a quarter, it is 2x4), its
// size kept, moved a pixel where its corner would be odd.
func TestUnturn(t *testing.T) {
	for _, c := range []struct {
		deg  int
		r    image.Rectangle // in the turned picture
		want image.Rectangle // in the picture as it lies, 4x2
	}{
		{90, image.Rect(0, 0, 2, 4), image.Rect(0, 0, 4, 2)},
		{90, image.Rect(0, 0, 1, 2), image.Rect(0, 0, 2, 1)},  // top-left of the turned: bottom-left lying, (0,1) to (2,2), moved up
		{270, image.Rect(0, 0, 1, 2), image.Rect(2, 0, 4, 1)}, // (w-2,0) to (w,1)
		{180, image.Rect(0, 0, 2, 1), image.Rect(2, 0, 4, 1)}, // bottom-right lying, (2,1) to (4,2), moved up
		{0, image.Rect(0, 0, 3, 1), image.Rect(0, 0, 3, 1)},
	} {
		if got := unturn(c.r, 4, 2, c.deg); got != c.want {
			t.Errorf("%d°: %v unturned to %v, want %v", c.deg, c.r, got, c.want)
		}
	}
}
