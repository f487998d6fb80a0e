//go:build cgo

package codec

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// busyClip is a synthetic camera-like clip (texture, motion, noise): flat
// pictures would flatter both encoders.
func busyClip(w, h, n int) []*Frame {
	pics := make([]*Frame, n)
	for i := range pics {
		pics[i] = testPicture(w, h, i, true)
	}
	return pics
}

func reportPerFrame(b *testing.B, frames int) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(frames), "ms/frame")
}

// BenchmarkDecodeVP8 is the cost of decoding one 640x360 camera frame: the
// picture dropped (the per-participant unit of the "limit" and of the codec
// cost the mixer is measured against), copied out whole, and scaled into a
// 426x240 tile (the 3x3 grid of a 1280x720 canvas) or a 320x180 one (4x4)
// as the decoder goroutine does.
func BenchmarkDecodeVP8(b *testing.B) {
	cfg := DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyframeInterval = 640, 360, 800_000, 300
	frames, _ := encodeClip(b, cfg, 60, true)
	// A 3x3 grid's tile (2/3 size: shrink.c) and a 4x4 grid's (half: libyuv).
	tile := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), image.Pt(426, 240) }
	half := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), image.Pt(320, 180) }
	for _, bc := range []struct {
		name   string
		target Target
		drop   bool
	}{{"dropped", nil, true}, {"whole", nil, false}, {"scaled-to-tile", tile, false}, {"halved-to-tile", half, false}} {
		b.Run(bc.name, func(b *testing.B) {
			dec, err := NewVideoDecoder(VP8)
			if err != nil {
				b.Fatal(err)
			}
			defer dec.Close()
			f := &Frame{}
			n := 0
			for b.Loop() {
				ef := frames[n%len(frames)]
				if n%len(frames) == 0 {
					dec.WaitKeyframe()
				}
				if err := dec.Send(ef.Data, ef.PTS); err != nil {
					b.Fatal(err)
				}
				var err error
				if bc.drop {
					_, err = dec.Drop()
				} else {
					_, err = dec.ReceiveScaled(f, bc.target)
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportPerFrame(b, n)
		})
	}
}

// BenchmarkVP8Encoders compares the two libvpx front ends on the same 720p
// busy pictures: FFmpeg's libvpx wrapper with mcu's real-time settings (the
// one mcu uses) and pion/mediadevices' vpx package with the closest settings
// it offers (it has no cpu-used control, so libvpx picks its speed by timing
// itself, and it stamps frames with the wall clock). Reported: ms/frame,
// bytes/frame and PSNR (dB) of the decoded result.
func BenchmarkVP8Encoders(b *testing.B) {
	const w, h, n = 1280, 720, 60
	pics := busyClip(w, h, n)
	b.Run("ffmpeg-libvpx", func(b *testing.B) {
		cfg := DefaultVP8Config()
		enc, err := NewVP8Encoder(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer enc.Close()
		var out [][]byte
		i := 0
		for b.Loop() {
			p := pics[i%n]
			ef, err := enc.Encode(&p.YCbCr, time.Duration(i)*time.Second/30, false)
			if err != nil {
				b.Fatal(err)
			}
			if len(out) < n {
				out = append(out, ef.Data)
			}
			i++
		}
		reportEncoder(b, VP8, i, out, pics)
	})
	b.Run("mediadevices-vpx", func(b *testing.B) {
		params, err := vpx.NewVP8Params()
		if err != nil {
			b.Fatal(err)
		}
		params.BitRate = DefaultVP8Config().Bitrate
		params.KeyFrameInterval = 150
		params.RateControlEndUsage = vpx.RateControlCBR
		params.LagInFrames = 0
		params.ErrorResilient = vpx.ErrorResilientDefault
		i := 0
		reader := video.ReaderFunc(func() (image.Image, func(), error) {
			return &pics[i%n].YCbCr, func() {}, nil
		})
		enc, err := params.BuildVideoEncoder(reader, prop.Media{Video: prop.Video{Width: w, Height: h, FrameFormat: frame.FormatI420}})
		if err != nil {
			b.Fatal(err)
		}
		defer enc.Close()
		var out [][]byte
		for b.Loop() {
			data, release, err := enc.Read()
			if err != nil {
				b.Fatal(err)
			}
			if len(out) < n {
				out = append(out, append([]byte(nil), data...))
			}
			release()
			i++
		}
		reportEncoder(b, VP8, i, out, pics)
	})
}

func reportEncoder(b *testing.B, c VideoCodec, frames int, out [][]byte, pics []*Frame) {
	b.StopTimer()
	reportPerFrame(b, frames)
	total := 0
	for _, d := range out {
		total += len(d)
	}
	b.ReportMetric(float64(total)/float64(len(out)), "bytes/frame")
	dec, err := NewVideoDecoder(c)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	var sum float64
	var got int
	for i, d := range out {
		if err := dec.Send(d, 0); err != nil {
			continue
		}
		f := &Frame{}
		if ok, _ := dec.Receive(f); ok {
			sum += psnr(b, &f.YCbCr, &pics[i].YCbCr)
			got++
		}
	}
	if got > 0 {
		b.ReportMetric(sum/float64(got), "dB")
	}
}

// BenchmarkH264Presets is the H.264 encoder (for receivers that cannot
// take VP8) on the same pictures as BenchmarkVP8Encoders, at each x264
// preset fast enough to run beside it: ms/frame, bytes/frame and PSNR.
func BenchmarkH264Presets(b *testing.B) {
	const w, h, n = 1280, 720, 60
	pics := busyClip(w, h, n)
	for _, preset := range h264Presets[:4] {
		b.Run(preset, func(b *testing.B) {
			cfg := DefaultVP8Config().H264()
			cfg.Preset = preset
			enc, err := NewH264Encoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			pic, err := NewPicture(w, h)
			if err != nil {
				b.Fatal(err)
			}
			defer pic.Free()
			var out [][]byte
			i := 0
			for b.Loop() {
				if err := pic.Load(&pics[i%n].YCbCr); err != nil {
					b.Fatal(err)
				}
				ef, err := enc.EncodePicture(pic, time.Duration(i)*time.Second/30, false)
				if err != nil {
					b.Fatal(err)
				}
				if len(out) < n {
					out = append(out, ef.Data)
				}
				i++
			}
			reportEncoder(b, H264, i, out, pics)
		})
	}
}

// BenchmarkScale is one tile of the 3x3 grid (two thirds, shrink.c) scaled
// by the mixer's fallback path (Go memory to Go memory), with the vector
// code and with the plain C other machines run.
func BenchmarkScale(b *testing.B) {
	src := testPicture(640, 360, 1, true)
	canvas := NewImage(1280, 720)
	for _, v := range []struct {
		name  string
		level int
	}{{"vector", 1}, {"plain-C", 0}} {
		b.Run(v.name, func(b *testing.B) {
			defer shrinkSIMD(1)
			if shrinkSIMD(v.level) != v.level {
				b.Skip("not on this machine")
			}
			var s Scaler
			defer s.Close()
			n := 0
			for b.Loop() {
				if err := s.Scale(canvas, image.Rect(426, 240, 852, 480), &src.YCbCr, src.Rect); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportPerFrame(b, n)
		})
	}
	// Other ratios go through swscale: the speaker's tile of a 640x360
	// camera, larger than it, and a shrink to a little over half.
	for _, dst := range []image.Rectangle{image.Rect(0, 0, 1024, 576), image.Rect(0, 0, 400, 226)} {
		b.Run(fmt.Sprintf("swscale-%dx%d", dst.Dx(), dst.Dy()), func(b *testing.B) {
			var s Scaler
			defer s.Close()
			n := 0
			for b.Loop() {
				if err := s.Scale(canvas, dst, &src.YCbCr, src.Rect); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportPerFrame(b, n)
		})
	}
}

// BenchmarkOpusEncode is one 20 ms stereo frame of a tone mix with mcu's
// Opus settings: a room pays it for the full mix and each mix-minus.
func BenchmarkOpusEncode(b *testing.B) {
	enc, err := NewOpusEncoder(DefaultOpusConfig())
	if err != nil {
		b.Fatal(err)
	}
	var frames [][]int16
	for i := range 50 {
		f := sine(440, 0.1, i*960, 960)
		g := sine(1230, 0.1, i*960, 960)
		for j := range f {
			f[j] += g[j]
		}
		frames = append(frames, f)
	}
	n := 0
	for b.Loop() {
		if _, err := enc.Encode(frames[n%len(frames)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportPerFrame(b, n)
}
