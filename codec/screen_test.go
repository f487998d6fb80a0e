package codec

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// screenPictures renders n pictures of a shared screen: dark lines of
// source text on white, scrolled up two rows a picture after the first
// ten (a reader scrolling a document).
func screenPictures(t *testing.T, w, h, n int) []*Frame {
	t.Helper()
	ft, err := opentype.Parse(gomono.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(ft, &opentype.FaceOptions{Size: 11, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	words := strings.Fields("func (m *Mixer) paint(ctx context.Context, img *image.YCbCr, mem *member) error { if f == nil { return m.placeholder(img, r) } dst, crop := layout.Place(size, cell, aspect) }")
	page := image.NewGray(image.Rect(0, 0, w, h+2*n))
	draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: page, Src: image.NewUniform(color.Gray{Y: 30}), Face: face}
	for line, y := 0, 12; y < page.Rect.Dy(); line, y = line+1, y+14 {
		var text []string
		for i := range 4 + line%7 {
			text = append(text, words[(line*5+i*3)%len(words)])
		}
		d.Dot = fixed.P(8+(line%4)*16, y)
		d.DrawString(strings.Join(text, " "))
	}
	pics := make([]*Frame, n)
	for i := range pics {
		off := 2 * max(0, i-10)
		f := NewFrame(w, h)
		for y := range h {
			copy(f.Y[y*f.YStride:y*f.YStride+w], page.Pix[(y+off)*page.Stride:])
		}
		for j := range f.Cb {
			f.Cb[j], f.Cr[j] = 128, 128
		}
		f.PTS = time.Duration(i) * time.Second / 30
		pics[i] = f
	}
	return pics
}

// TestVP8ScreenContent: screen content mode reaches the running libvpx
// encoder at the next frame without a keyframe (the frames before it are
// those of an encoder left alone, the frames after differ), keeps the
// text of a shared screen sharper at the same bitrate, and lasts through
// a reopening for a bitrate change.
func TestVP8ScreenContent(t *testing.T) {
	const w, h, n, change = 640, 360, 70, 5
	pics := screenPictures(t, w, h, n)
	cfg := DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyframeInterval = w, h, 250_000, 1000
	encode := func(screenAt int) ([]EncodedFrame, *VP8Encoder) {
		enc, err := NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(enc.Close)
		var out []EncodedFrame
		for i, p := range pics {
			if i == screenAt {
				if err := enc.SetScreenContent(true); err != nil {
					t.Fatalf("SetScreenContent: %v", err)
				}
			}
			f, err := enc.Encode(&p.YCbCr, p.PTS, false)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f)
		}
		return out, enc
	}
	camera, _ := encode(-1)
	screen, enc := encode(change)
	if !enc.ScreenContent() {
		t.Error("ScreenContent false after SetScreenContent(true)")
	}
	differ := 0
	for i := range n {
		equal := bytes.Equal(camera[i].Data, screen[i].Data)
		switch {
		case i < change && !equal:
			t.Errorf("frame %d, before the change, differs from the unchanged encoder's", i)
		case i >= change && !equal:
			differ++
		}
		if screen[i].Key != (i == 0) {
			t.Errorf("frame %d: key %v, want a keyframe only first", i, screen[i].Key)
		}
	}
	if differ == 0 {
		t.Fatal("every frame after the change is the unchanged encoder's: the mode did not reach libvpx")
	}

	// The text's quality at the same bitrate, over the scrolling pictures.
	quality := func(frames []EncodedFrame) (dB float64, bytes int) {
		data := make([][]byte, len(frames))
		for i, f := range frames {
			data[i], bytes = f.Data, bytes+len(f.Data)
		}
		got := decodeAll(t, VP8, data)
		if len(got) != n {
			t.Fatalf("%d pictures decoded, want %d", len(got), n)
		}
		for i := 10; i < n; i++ {
			dB += psnr(t, &pics[i].YCbCr, &got[i].YCbCr)
		}
		return dB / float64(n-10), bytes
	}
	camDB, camBytes := quality(camera)
	scrDB, scrBytes := quality(screen)
	t.Logf("scrolling text at %d kbit/s: %.2f dB in %d bytes as camera pictures, %.2f dB in %d bytes as screen content",
		cfg.Bitrate/1000, camDB, camBytes, scrDB, scrBytes)
	if scrDB < camDB+0.2 || scrBytes > camBytes*11/10 {
		t.Errorf("as screen content %.2f dB in %d bytes, as camera pictures %.2f dB in %d: want 0.2 dB more within a tenth more bytes",
			scrDB, scrBytes, camDB, camBytes)
	}

	// Turned off, it says so.
	if err := enc.SetScreenContent(false); err != nil || enc.ScreenContent() {
		t.Fatalf("SetScreenContent(false): %v, on %v", err, enc.ScreenContent())
	}

	// An encoder reopened for its bitrate keeps the mode: its pictures
	// after the reopening differ from those of one reopened without it.
	reopened := func(on bool) []EncodedFrame {
		enc, err := NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(enc.Close)
		enc.fixedRate = errNoRetarget
		if err := enc.SetScreenContent(on); err != nil {
			t.Fatal(err)
		}
		var out []EncodedFrame
		for i, p := range pics[:30] {
			if i == 10 {
				if err := enc.SetBitrate(200_000); err != nil {
					t.Fatal(err)
				}
			}
			f, err := enc.Encode(&p.YCbCr, p.PTS, false)
			if err != nil {
				t.Fatal(err)
			}
			if i == 10 && !f.Key {
				t.Fatal("the encode after a bitrate change that reopens is no keyframe")
			}
			out = append(out, f)
		}
		if enc.ScreenContent() != on {
			t.Errorf("ScreenContent %v after a reopening, want %v", enc.ScreenContent(), on)
		}
		return out
	}
	plain, kept := reopened(false), reopened(true)
	same := 0
	for i := 11; i < 30; i++ {
		if bytes.Equal(plain[i].Data, kept[i].Data) {
			same++
		}
	}
	if same == 30-11 {
		t.Error("after a reopening, the screen content encoder's pictures are the plain one's: the mode was lost")
	}
}
