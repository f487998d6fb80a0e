package offline

import (
	"context"
	"image"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/layout"
	"mcu/mixer"
)

// TestSpeakerTileIsScaledFromTheSource: in the speaker layout the big tile
// shows the picture scaled from the decoded source (the decoders scale for
// the largest tile, fixTile), not a thumbnail blown up, and with aspect
// Fill a thumbnail is cut from the whole picture, not from one already cut
// to the big tile's shape: each matches the source frame scaled straight
// to its tile.
func TestSpeakerTileIsScaledFromTheSource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	parts := participantsOf(t, "p01.ivf", "p02.ivf", "p03.ivf")
	for _, aspect := range []layout.Aspect{layout.Fit, layout.Fill} {
		cfg := mixer.DefaultConfig()
		cfg.Video.Width, cfg.Video.Height = 640, 360
		cfg.Layout = layout.Speaker // no sound: the first participant is the speaker
		cfg.Aspect = aspect
		shot := canvasAt(ctx, t, parts, cfg, time.Second)
		cells := layout.SpeakerCells(len(parts), 0, layout.Size{W: 640, H: 360})
		tiles := []int{0} // the speaker's, p01
		if aspect == layout.Fill {
			tiles = append(tiles, 1) // and p02's thumbnail
		}
		for _, i := range tiles {
			if db := tileAgainstSource(ctx, t, shot, parts[i].Video, cells[i], aspect, time.Second); db < 38 {
				t.Errorf("%v, tile %d: %.1f dB from the source scaled straight to it, want ≥ 38 (scaled from a smaller or cropped picture?)", aspect, i, db)
			}
		}
	}
}

// TestGridTileIsScaledOnce: in the grid layout each decoder scales
// straight to its tile (a BoxedSource), which keeps its size all along: a
// tile is the source frame scaled once, not scaled for another size first
// and again by the mixer.
func TestGridTileIsScaledOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	parts := participantsOf(t, "p01.ivf", "p02.ivf", "p03.ivf", "p04.ivf")
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 640, 360
	shot := canvasAt(ctx, t, parts, cfg, time.Second)
	cell := layout.GridCells(len(parts), layout.Size{W: 640, H: 360})[0]
	if db := tileAgainstSource(ctx, t, shot, parts[0].Video, cell, cfg.Aspect, time.Second); db < 60 {
		t.Errorf("the first tile is %.1f dB from the source scaled straight to it, want the same (≥ 60 dB)", db)
	}
}

// participantsOf parses testdata clips, one participant each.
func participantsOf(t *testing.T, names ...string) []Participant {
	t.Helper()
	var parts []Participant
	for _, name := range names {
		p, err := ParseParticipant(mediatest.TestdataPath(t, name))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	return parts
}

// canvasAt mixes parts with cfg and returns a copy of the first canvas at
// or after at.
func canvasAt(ctx context.Context, t *testing.T, parts []Participant, cfg mixer.Config, at time.Duration) *image.YCbCr {
	t.Helper()
	var shot *image.YCbCr
	cfg.Tap = func(img *image.YCbCr, pts time.Duration) error { // the mixer's goroutine alone
		if shot == nil && pts >= at {
			shot = codec.NewImage(img.Rect.Dx(), img.Rect.Dy())
			codec.CopyRect(shot, image.Point{}, img, img.Rect)
		}
		return nil
	}
	if _, err := Mix(ctx, parts, Options{Output: filepath.Join(t.TempDir(), "out.webm"), Mixer: cfg, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	if shot == nil {
		t.Fatalf("no canvas at %v", at)
	}
	return shot
}

// tileAgainstSource is the PSNR of the picture in cell of shot against the
// frame of video (decoded by FFmpeg) shown at about at, scaled straight to
// it: the best over the frames within 200 ms.
func tileAgainstSource(ctx context.Context, t *testing.T, shot *image.YCbCr, video string, cell layout.Rect, aspect layout.Aspect, at time.Duration) float64 {
	t.Helper()
	frames, pts, err := mediatest.DecodeVideo(ctx, video)
	if err != nil {
		t.Fatal(err)
	}
	dst, crop := layout.Place(layout.Size{W: frames[0].Rect.Dx(), H: frames[0].Rect.Dy()}, cell, aspect)
	tile := codec.NewImage(dst.W, dst.H)
	codec.CopyRect(tile, image.Point{}, shot, image.Rect(dst.X, dst.Y, dst.X+dst.W, dst.Y+dst.H))
	var s codec.Scaler
	defer s.Close()
	best := 0.0
	for i, f := range frames {
		if d := pts[i] - at; d < -200*time.Millisecond || d > 200*time.Millisecond {
			continue
		}
		want := codec.NewImage(dst.W, dst.H)
		if err := s.Scale(want, want.Rect, f, image.Rect(crop.X, crop.Y, crop.X+crop.W, crop.Y+crop.H)); err != nil {
			t.Fatal(err)
		}
		best = max(best, mediatest.PSNR(want, tile))
	}
	return best
}
