package mixer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// sharedSource returns one still picture (shared by many participants).
type sharedSource struct{ f *codec.Frame }

func (s sharedSource) VideoAt(context.Context, time.Duration) (*codec.Frame, error) { return s.f, nil }

// TestSpeakerThumbnailsKeepTheirBrightness: a room of 60 on the default
// canvas in the speaker layout, every camera a flat grey 1080p (or 4K)
// picture. Each thumbnail must show that grey; the compositor's box
// shrink (libyuv) makes them darker and tinted instead.
func TestSpeakerThumbnailsKeepTheirBrightness(t *testing.T) {
	for _, cam := range []struct{ w, h, n int }{{1920, 1080, 60}, {1920, 1080, 100}, {3840, 2160, 100}} {
		t.Run(fmt.Sprintf("%dx%d_n%d", cam.w, cam.h, cam.n), func(t *testing.T) {
			cfg := testConfig()
			cfg.Video.Width, cfg.Video.Height = 1280, 720
			cfg.Layout = layout.Speaker
			m, tap := tappedMixer(t, cfg, 0)
			f := codec.NewFrame(cam.w, cam.h)
			codec.FillRect(&f.YCbCr, f.Rect, 180, 100, 150)
			f.Seq = 1
			for i := range cam.n {
				if err := m.Add(Participant{ID: fmt.Sprint(i), Video: sharedSource{f}}); err != nil {
					t.Fatal(err)
				}
			}
			run(t, m, time.Second/30)
			img := tap.got[0]
			cell := layout.Cells(layout.Speaker, cam.n, 0, layout.Size{W: 1280, H: 720})[1]
			dst, _ := layout.Place(layout.Size{W: cam.w, H: cam.h}, cell, cfg.Aspect)
			y := lumaAt(img, dst)
			cb, cr := chromaAt(img, dst)
			if y < 178 || y > 182 || cb < 98 || cb > 102 || cr < 148 || cr > 152 {
				t.Errorf("thumbnail %v shows %d,%d,%d, want 180,100,150", dst, y, cb, cr)
			}
		})
	}
}
