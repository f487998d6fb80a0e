//go:build cgo

package codec

import (
	"image"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// testPicture draws picture i of a synthetic clip: a flat colour, a box
// that moves every frame, and (when busy) a moving texture with noise, so
// that encoders work as on a camera.
func testPicture(w, h, i int, busy bool) *Frame {
	f := NewFrame(w, h)
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	for y := range h {
		for x := range w {
			v := 90
			if busy {
				v = 128 + int(50*math.Sin(float64(x+3*i)/9)*math.Cos(float64(y-2*i)/7)) + rng.IntN(9) - 4
			}
			f.Y[y*f.YStride+x] = byte(v)
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			f.Cb[y*f.CStride+x] = 100
			f.Cr[y*f.CStride+x] = 170
		}
	}
	bx := (i * 4) % max(1, w-w/5)
	FillRect(&f.YCbCr, image.Rect(bx&^1, h/3&^1, (bx+w/5)&^1, (h/3+h/4)&^1), 235, 128, 128)
	f.PTS = time.Duration(i) * time.Second / 30
	return f
}

// psnr compares two 4:2:0 pictures of the same size, in dB: the least of
// the three planes' (a picture right in luma but with its chroma swapped
// or shifted scores low).
func psnr(t testing.TB, a, b *image.YCbCr) float64 {
	t.Helper()
	if a.Rect.Size() != b.Rect.Size() {
		t.Fatalf("psnr of %v and %v", a.Rect.Size(), b.Rect.Size())
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	plane := func(pa, pb []byte, sa, sb, w, h int) float64 {
		var se float64
		for y := range h {
			for x := range w {
				d := float64(pa[y*sa+x]) - float64(pb[y*sb+x])
				se += d * d
			}
		}
		if se == 0 {
			return math.Inf(1)
		}
		return 10 * math.Log10(255*255/(se/float64(w*h)))
	}
	return min(plane(a.Y, b.Y, a.YStride, b.YStride, w, h),
		plane(a.Cb, b.Cb, a.CStride, b.CStride, cw, ch),
		plane(a.Cr, b.Cr, a.CStride, b.CStride, cw, ch))
}

// encodeClip encodes n synthetic pictures and returns the frames.
func encodeClip(t testing.TB, cfg VP8Config, n int, busy bool) ([]EncodedFrame, []*Frame) {
	t.Helper()
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var out []EncodedFrame
	var pics []*Frame
	for i := range n {
		pic := testPicture(cfg.Width, cfg.Height, i, busy)
		ef, err := enc.Encode(&pic.YCbCr, pic.PTS, false)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ef)
		pics = append(pics, pic)
	}
	return out, pics
}

// newTestDecoder opens a decoder for c, closed when the test ends.
func newTestDecoder(t testing.TB, c VideoCodec) *VideoDecoder {
	t.Helper()
	dec, err := NewVideoDecoder(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dec.Close)
	return dec
}

// firstPacket returns the first packet of the media file at path.
func firstPacket(t testing.TB, path string) Packet {
	t.Helper()
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Read()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lavfiPicture encodes one picture of an FFmpeg lavfi source with the
// output options args into an IVF file and returns its packet.
func lavfiPicture(t testing.TB, source string, args ...string) Packet {
	t.Helper()
	clip := filepath.Join(t.TempDir(), "clip.ivf")
	cmd := append([]string{"-v", "error", "-f", "lavfi", "-i", source, "-frames:v", "1"}, args...)
	if out, err := exec.Command("ffmpeg", append(cmd, clip)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	return firstPacket(t, clip)
}

// decodeOne decodes a frame of c alone into a picture, scaled to target
// (nil: as decoded).
func decodeOne(t testing.TB, c VideoCodec, data []byte, target Target) *Frame {
	t.Helper()
	dec := newTestDecoder(t, c)
	if err := dec.Send(data, NoPTS); err != nil {
		t.Fatal(err)
	}
	dec.Flush()
	f := &Frame{}
	if ok, err := dec.ReceiveScaled(f, target); !ok || err != nil {
		t.Fatalf("no picture: %v", err)
	}
	return f
}

// decodeAll decodes frames and returns the pictures, failing on errors.
func decodeAll(t testing.TB, c VideoCodec, frames [][]byte) []*Frame {
	t.Helper()
	dec := newTestDecoder(t, c)
	var out []*Frame
	for i, data := range frames {
		if err := dec.Send(data, time.Duration(i)*time.Second/30); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		for {
			f := &Frame{}
			ok, err := dec.Receive(f)
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if !ok {
				break
			}
			out = append(out, f)
		}
	}
	return out
}

func smallConfig() VP8Config {
	c := DefaultVP8Config()
	c.Width, c.Height, c.Bitrate = 320, 180, 400_000
	c.KeyframeInterval = 1000
	return c
}
