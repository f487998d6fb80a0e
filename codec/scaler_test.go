//go:build cgo

package codec

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/asticode/go-astiav"
)

// TestScalerWritesOnlyInside paints a sentinel canvas, scales into many
// rectangles of awkward sizes and positions, and checks that no pixel outside
// the destination rectangle changed: tiles are painted independently, so a
// scaler that spills into its neighbour would corrupt tiles not repainted.
func TestScalerWritesOnlyInside(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := NewFrame(641, 361)
	for i := range src.Y {
		src.Y[i] = byte(rng.IntN(256))
	}
	var s Scaler
	defer s.Close()
	canvas := NewImage(1280, 720)
	for range 300 {
		FillRect(canvas, canvas.Rect, 7, 9, 11)
		w := 2 + 2*rng.IntN(300)
		h := 2 + 2*rng.IntN(200)
		x := 2 * rng.IntN((1280-w)/2+1)
		y := 2 * rng.IntN((720-h)/2+1)
		dst := image.Rect(x, y, x+w, y+h)
		if err := s.Scale(canvas, dst, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		assertUntouched(t, canvas, dst, 7, 9, 11)
	}
}

func assertUntouched(t *testing.T, img *image.YCbCr, inside image.Rectangle, y, cb, cr uint8) {
	t.Helper()
	for py := 0; py < img.Rect.Dy(); py++ {
		for px := 0; px < img.Rect.Dx(); px++ {
			if image.Pt(px, py).In(inside) {
				continue
			}
			if img.Y[py*img.YStride+px] != y {
				t.Fatalf("luma written at (%d,%d) outside %v", px, py, inside)
			}
		}
	}
	cin := image.Rect(inside.Min.X/2, inside.Min.Y/2, (inside.Max.X+1)/2, (inside.Max.Y+1)/2)
	for py := 0; py < (img.Rect.Dy()+1)/2; py++ {
		for px := 0; px < (img.Rect.Dx()+1)/2; px++ {
			if image.Pt(px, py).In(cin) {
				continue
			}
			if img.Cb[py*img.CStride+px] != cb || img.Cr[py*img.CStride+px] != cr {
				t.Fatalf("chroma written at (%d,%d) outside %v", px, py, cin)
			}
		}
	}
}

// TestScalerHalvesByMean shrinks a picture to exactly half with both paths
// (the AVFrame one is covered by TestReceiveScaled): at half size the box
// filter must give each output pixel the mean of the 2x2 source pixels under
// it, so a pattern of alternating 2x2 blocks survives and a pixel-level
// checkerboard turns into its mean grey.
func TestScalerHalvesByMean(t *testing.T) {
	src := NewFrame(64, 32)
	for y := range 32 {
		for x := range 64 {
			v := byte(40)
			if (x/2+y/2)%2 == 1 {
				v = 200 // 2x2 blocks
			}
			if x >= 32 && (x+y)%2 == 1 {
				v = 100 // right half: a one-pixel checkerboard of 20 and 100
			} else if x >= 32 {
				v = 20
			}
			src.Y[y*src.YStride+x] = v
		}
	}
	var s Scaler
	defer s.Close()
	canvas := NewImage(32, 16)
	if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
		t.Fatal(err)
	}
	for y := range 16 {
		for x := range 32 {
			got := canvas.Y[y*canvas.YStride+x]
			want := byte(40)
			switch {
			case x >= 16:
				want = 60
			case (x+y)%2 == 1:
				want = 200
			}
			if got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}

// TestScalerTwoThirdsIsBilinear shrinks noise to two thirds (the 3x3 grid
// of 640x360 cameras, a few other sizes, and every width from 3 to 130
// that two thirds fits, so that rows end at every point of the vector
// blocks, one or two blocks from their end) and checks every output sample, luma
// and chroma, against a tent filter of radius 1.5 source samples computed
// in floating point (what a bilinear filter does when it shrinks), and that
// nothing outside the destination rectangle is written. It does so with
// each variant of the code the machine can run (AVX2, plain C).
func TestScalerTwoThirdsIsBilinear(t *testing.T) {
	t.Cleanup(func() { shrinkSIMD(1) })
	sizes := []struct{ sw, sh, dw, dh int }{{640, 360, 426, 240}, {46, 31, 30, 20}, {322, 180, 214, 120},
		{100, 60, 66, 40}, {64, 64, 42, 42}, {16, 9, 10, 6}, {3, 3, 2, 2}}
	for level := 1; level >= 0; level-- {
		if got := shrinkSIMD(level); got != level {
			t.Logf("vector level %d not on this machine", level)
			continue
		}
		for _, c := range sizes {
			checkTwoThirds(t, level, c.sw, c.sh, c.dw, c.dh)
		}
		for sw := 3; sw <= 130; sw++ {
			// The chroma planes must be two thirds too, or it is not
			// shrink.c that scales.
			if dw := sw * 2 / 3; (dw+1)/2 == (sw+1)/2*2/3 {
				checkTwoThirds(t, level, sw, 6, dw, 4)
			}
		}
	}
}

func checkTwoThirds(t *testing.T, level, sw, sh, dw, dh int) {
	t.Helper()
	src := NewFrame(sw, sh)
	rnd := uint32(sw*7 + sh)
	for _, p := range [][]byte{src.Y, src.Cb, src.Cr} {
		for i := range p {
			rnd = rnd*1664525 + 1013904223
			p[i] = byte(rnd >> 24)
		}
	}
	canvas := NewImage(dw+8, dh+8)
	for _, p := range [][]byte{canvas.Y, canvas.Cb, canvas.Cr} {
		for i := range p {
			p[i] = 7
		}
	}
	dst := image.Rect(4, 4, 4+dw, 4+dh)
	var s Scaler
	if err := s.Scale(canvas, dst, &src.YCbCr, src.Rect); err != nil {
		t.Fatal(err)
	}
	s.Close()
	crop := image.Rect(2, 2, 2+(dw+1)/2, 2+(dh+1)/2)
	planes := []struct {
		name           string
		s, d           []byte
		ss, ds, sw, sh int
		rect           image.Rectangle
	}{
		{"Y", src.Y, canvas.Y, src.YStride, canvas.YStride, sw, sh, dst},
		{"Cb", src.Cb, canvas.Cb, src.CStride, canvas.CStride, (sw + 1) / 2, (sh + 1) / 2, crop},
		{"Cr", src.Cr, canvas.Cr, src.CStride, canvas.CStride, (sw + 1) / 2, (sh + 1) / 2, crop},
	}
	for _, p := range planes {
		for y := range p.rect.Max.Y + 2 {
			for x := range p.rect.Max.X + 2 {
				got := p.d[y*p.ds+x]
				if !image.Pt(x, y).In(p.rect) {
					if got != 7 {
						t.Fatalf("level %d, %dx%d %s: (%d,%d) outside the destination written: %d", level, sw, sh, p.name, x, y, got)
					}
					continue
				}
				ox, oy := x-p.rect.Min.X, y-p.rect.Min.Y
				want := tentTwoThirds(p.s, p.ss, p.sw, p.sh, ox, oy)
				if d := float64(got) - want; d > 0.5 || d < -0.5 {
					t.Fatalf("level %d, %dx%d %s: (%d,%d) = %d, filter gives %.2f", level, sw, sh, p.name, ox, oy, got, want)
				}
			}
		}
	}
}

// tentTwoThirds is output sample (x, y) of a w×h plane shrunk to two thirds
// by a tent of radius 1.5 source samples, edges repeated.
func tentTwoThirds(src []byte, stride, w, h, x, y int) float64 {
	taps := func(o, n int) (idx []int, wt []float64) {
		c := 1.5*float64(o) + 0.75 // centre, in source samples
		for j := int(c) - 2; j <= int(c)+2; j++ {
			if d := math.Abs(float64(j) + 0.5 - c); d < 1.5 {
				idx = append(idx, min(max(j, 0), n-1))
				wt = append(wt, 1-d/1.5)
			}
		}
		return idx, wt
	}
	xi, xw := taps(x, w)
	yi, yw := taps(y, h)
	var sum, norm float64
	for j := range yi {
		for i := range xi {
			sum += xw[i] * yw[j] * float64(src[yi[j]*stride+xi[i]])
			norm += xw[i] * yw[j]
		}
	}
	return sum / norm
}

// TestScalerScratchFollowsOutput: the scratch swscale writes into grows
// for a large output and is given back when the outputs become small (a
// room's first participant fills the canvas; later tiles are smaller).
func TestScalerScratchFollowsOutput(t *testing.T) {
	src := NewFrame(640, 360)
	var s Scaler
	defer s.Close()
	canvas := NewImage(1280, 720)
	scale := func(w, h int) int {
		t.Helper()
		if err := s.Scale(canvas, image.Rect(0, 0, w, h), &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		return cap(s.tmp.Y)
	}
	big := scale(1280, 720) // swscale: neither halving nor two thirds
	// A large and a small output in turn (tiles of two sizes in one
	// tick) keep the scratch, with no allocation.
	if allocs := testing.AllocsPerRun(10, func() { scale(400, 226); scale(1280, 720) }); allocs != 0 {
		t.Errorf("%.0f allocations per large and small output in turn, want 0", allocs)
	}
	small := big
	for range scratchShrinkAfter {
		small = scale(400, 226)
	}
	if big < 1280*720*3/2 || small > big/4 {
		t.Errorf("scratch %d bytes for 1280x720, then %d after %d at 400x226: want it given back", big, small, scratchShrinkAfter)
	}
	if again := scale(400, 226); again != small {
		t.Errorf("scratch reallocated for the same output: %d, then %d", small, again)
	}
}

// A full-range picture (its black at 0, as an H.264 stream may say) comes
// out in the limited range the canvas and the encoder use (black at 16),
// whatever the path its tile size takes: the copy at the same size, the
// two-thirds shrink, the box halving, swscale. A limited-range one keeps
// its values.
func TestScalerMapsFullRange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format astiav.PixelFormat
		rng    astiav.ColorRange
	}{
		{"yuv420p full", astiav.PixelFormatYuv420P, astiav.ColorRangeJpeg},
		{"yuvj420p", astiav.PixelFormatYuvj420P, astiav.ColorRangeJpeg},
		{"yuv420p limited", astiav.PixelFormatYuv420P, astiav.ColorRangeMpeg},
		{"yuvj422p", astiav.PixelFormatYuvj422P, astiav.ColorRangeJpeg},
		{"yuvj444p", astiav.PixelFormatYuvj444P, astiav.ColorRangeJpeg},
		{"yuvj422p, range unset", astiav.PixelFormatYuvj422P, astiav.ColorRangeUnspecified}, // the format alone says full
		{"yuvj420p, range unset", astiav.PixelFormatYuvj420P, astiav.ColorRangeUnspecified},
	} {
		black := tc.rng
		if black == astiav.ColorRangeUnspecified {
			black = astiav.ColorRangeJpeg // the picture says nothing, but is full range
		}
		f := blackFrame(t, tc.format, black, tc.rng)
		toEachPath(t, tc.name, f, func(size image.Point, dst *Frame) {
			for y := range size.Y {
				for x := range size.X {
					if v := dst.Y[y*dst.YStride+x]; v < 15 || v > 17 {
						t.Fatalf("%s to %v: black at (%d,%d) is %d, want 16", tc.name, size, x, y, v)
					}
				}
			}
			for _, p := range [][]byte{dst.Cb, dst.Cr} {
				if v := p[0]; v < 127 || v > 129 {
					t.Errorf("%s to %v: chroma %d, want 128", tc.name, size, v)
				}
			}
		})
	}
}

// pathSizes are tile sizes for a 640x360 picture that take each of the
// scaling paths: the copy at the same size, the two-thirds shrink, the box
// halving, swscale.
var pathSizes = []image.Point{{640, 360}, {426, 240}, {320, 180}, {500, 282}}

// toEachPath converts f, whole, to each of pathSizes with one
// frameConverter, and hands each picture to check.
func toEachPath(t *testing.T, name string, f *astiav.Frame, check func(size image.Point, dst *Frame)) {
	t.Helper()
	var c frameConverter
	defer c.close()
	for _, size := range pathSizes {
		dst := &Frame{}
		target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), size }
		if err := c.toFrame(dst, f, target); err != nil {
			t.Fatalf("%s to %v: %v", name, size, err)
		}
		check(size, dst)
	}
}

// TestScalerCrops crops the left and the right half of pictures in the
// formats decoders give besides 8-bit 4:2:0: 10-bit 4:2:0 (VP9 profile 2),
// planar RGB, whose planes are not in component order (VP9 profile 1, an
// RGB stream), and gray (monochrome AV1). Each tile must be that half of
// the whole picture; a crop left out used to squeeze the whole picture
// into the tile, for every format but planar YUV.
func TestScalerCrops(t *testing.T) {
	for _, c := range []struct {
		name  string
		codec VideoCodec
		args  []string
	}{
		{"10-bit", VP9, []string{"-pix_fmt", "yuv420p10le", "-c:v", "libvpx-vp9", "-profile:v", "2"}},
		{"RGB", VP9, []string{"-pix_fmt", "gbrp", "-c:v", "libvpx-vp9", "-profile:v", "1"}},
		{"gray", AV1, []string{"-pix_fmt", "gray", "-c:v", "libaom-av1", "-cpu-used", "8"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := lavfiPicture(t, "testsrc=size=320x180:rate=30", c.args...)
			whole := decodeOne(t, c.codec, p.Data, nil)
			for _, half := range []image.Rectangle{image.Rect(0, 0, 160, 180), image.Rect(160, 0, 320, 180)} {
				tile := decodeOne(t, c.codec, p.Data, func(w, h int) (image.Rectangle, image.Point) { return half, image.Pt(160, 180) })
				if tile.Width() != 160 || tile.Height() != 180 {
					t.Fatalf("tile %dx%d, want 160x180", tile.Width(), tile.Height())
				}
				want := whole.YCbCr.SubImage(half).(*image.YCbCr)
				if p := psnr(t, &tile.YCbCr, want); p < 40 {
					t.Errorf("the tile cropped to %v against that part of the picture: PSNR %.1f dB, want ≥ 40", half, p)
				}
			}
		})
	}
}

// TestScalerKeepsItsContextForJFormats: a full-range picture in a J
// format (as FFmpeg's H.264 decoder gives for a stream marked full range)
// scaled frame after frame does not make swscale warn, as it did when it
// rebuilt its context for every frame.
func TestScalerKeepsItsContextForJFormats(t *testing.T) {
	h := &countHandler{substr: "deprecated pixel format"}
	countFFmpegLines(t, h)
	f := blackFrame(t, astiav.PixelFormatYuvj422P, astiav.ColorRangeJpeg, astiav.ColorRangeJpeg)
	var c frameConverter
	defer c.close()
	dst := &Frame{}
	target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), image.Pt(500, 282) }
	for range 3 {
		if err := c.toFrame(dst, f, target); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.n.Load(); n > 0 {
		t.Errorf("swscale warned %d times about a deprecated pixel format while scaling yuvj422p", n)
	}
}

// blackFrame is a 640x360 picture of format, black in range black (0 in
// full range, 16 in limited), then marked rng; freed when the test ends.
func blackFrame(t *testing.T, format astiav.PixelFormat, black, rng astiav.ColorRange) *astiav.Frame {
	t.Helper()
	f := astiav.AllocFrame()
	t.Cleanup(f.Free)
	f.SetWidth(640)
	f.SetHeight(360)
	f.SetPixelFormat(format)
	f.SetColorRange(black)
	if err := f.AllocBuffer(0); err != nil {
		t.Fatal(err)
	}
	if err := f.ImageFillBlack(); err != nil {
		t.Fatal(err)
	}
	f.SetColorRange(rng)
	return f
}

// TestScaleAndLoadRefuseBadGeometry: images whose planes C would walk past
// (another subsampling, short planes, narrow strides) or whose chroma
// would be found in the wrong place (an odd origin) are refused, not
// scaled or loaded.
func TestScaleAndLoadRefuseBadGeometry(t *testing.T) {
	good := func() *image.YCbCr { return NewImage(64, 36) }
	bad := map[string]*image.YCbCr{
		"4:1:0": image.NewYCbCr(image.Rect(0, 0, 64, 36), image.YCbCrSubsampleRatio410),
		"short Cr": func() *image.YCbCr {
			img := good()
			img.Cr = img.Cr[:len(img.Cr)-1]
			return img
		}(),
		"narrow stride": func() *image.YCbCr {
			img := good()
			img.YStride = 63
			return img
		}(),
		"odd origin": good().SubImage(image.Rect(1, 1, 33, 19)).(*image.YCbCr),
	}
	var s Scaler
	defer s.Close()
	cfg := DefaultVP8Config()
	cfg.Width, cfg.Height = 64, 36
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	pic, err := enc.NewPicture()
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	for name, img := range bad {
		ok := good()
		if err := s.Scale(ok, image.Rect(0, 0, 32, 18), img, img.Rect); err == nil {
			t.Errorf("%s: scaled from", name)
		}
		dst := img.Rect // to its last row, from an even corner
		dst.Min = dst.Min.Add(image.Pt(1, 1)).Div(2).Mul(2)
		if err := s.Scale(img, dst, ok, ok.Rect); err == nil {
			t.Errorf("%s: scaled into", name)
		}
		if img.Rect.Size() == image.Pt(64, 36) {
			if err := pic.Load(img); err == nil {
				t.Errorf("%s: loaded", name)
			}
		}
	}
	// The good ones still go.
	if err := s.Scale(good(), image.Rect(2, 2, 34, 20), good(), image.Rect(0, 0, 64, 36)); err != nil {
		t.Error(err)
	}
	if err := pic.Load(good()); err != nil {
		t.Error(err)
	}
}

// TestScalerKeepsContexts: tiles of a few sizes scaled in turn, as a
// mixer's one scaler does each tick, each keep their swscale context (one
// made per size, not one per call), the least recently used is the one
// given up for a new size, and each scaling is what a scaler of its own
// gives.
func TestScalerKeepsContexts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := NewFrame(640, 360)
	for i := range src.Y {
		src.Y[i] = byte(rng.IntN(256))
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = byte(rng.IntN(256)), byte(rng.IntN(256))
	}
	var s Scaler
	defer s.Close()
	// Bilinear sizes (more than half and not two thirds): swscale's.
	sizes := []image.Point{{1024, 576}, {400, 226}, {500, 282}, {600, 338}, {360, 202}}
	scale := func(s *Scaler, size image.Point) *image.YCbCr {
		canvas := NewImage(size.X, size.Y)
		if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		return canvas
	}
	for range 3 {
		for _, size := range sizes[:4] {
			got := scale(&s, size)
			var own Scaler
			want := scale(&own, size)
			own.Close()
			if !slices.Equal(got.Y, want.Y) || !slices.Equal(got.Cb, want.Cb) || !slices.Equal(got.Cr, want.Cr) {
				t.Fatalf("%v: the kept context scales otherwise than a new one", size)
			}
		}
	}
	if s.made != 4 {
		t.Fatalf("4 sizes scaled in turn 3 times made %d contexts, want 4", s.made)
	}
	scale(&s, sizes[4]) // a fifth size gives up the least recently used, the first
	scale(&s, sizes[3]) // kept
	if s.made != 5 {
		t.Fatalf("a fifth size and a kept one made %d contexts in all, want 5", s.made)
	}
	scale(&s, sizes[0]) // given up: made again
	if s.made != 6 {
		t.Fatalf("the size given up made %d contexts in all, want 6", s.made)
	}
}

// TestScalerContextKeyIsAllFourSizes: a kept swscale context serves only
// the exact (source size, destination size) pair it was made for. Sources
// of different sizes scaled to one tile size (a mixer's participants), and
// one source to tiles differing in a single side, each scale as a scaler of
// their own does, whether the pair is found among the kept contexts or is
// the one that replaces the least recently used.
func TestScalerContextKeyIsAllFourSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	frame := func(w, h int) *Frame {
		f := NewFrame(w, h)
		for _, p := range [][]byte{f.Y, f.Cb, f.Cr} {
			for i := range p {
				p[i] = byte(rng.IntN(256))
			}
		}
		return f
	}
	type pair struct{ sw, sh, dw, dh int }
	srcs := map[image.Point]*Frame{}
	scale := func(s *Scaler, p pair) *image.YCbCr {
		k := image.Pt(p.sw, p.sh)
		if srcs[k] == nil {
			srcs[k] = frame(p.sw, p.sh)
		}
		src := srcs[k]
		canvas := NewImage(p.dw, p.dh)
		if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		return canvas
	}
	check := func(name string, seq []pair, made int) {
		var s Scaler
		defer s.Close()
		defer func() {
			if made > 0 && s.made != made {
				t.Errorf("%s: %d contexts made, want %d", name, s.made, made)
			}
		}()
		for i, p := range seq {
			got := scale(&s, p)
			var own Scaler
			want := scale(&own, p)
			own.Close()
			if !slices.Equal(got.Y, want.Y) || !slices.Equal(got.Cb, want.Cb) || !slices.Equal(got.Cr, want.Cr) {
				t.Errorf("%s: call %d, %v: scaled otherwise than by a context of its own", name, i, p)
				return
			}
		}
	}
	base := pair{640, 360, 400, 226}
	others := []pair{{640, 360, 500, 282}, {640, 360, 600, 338}, {640, 360, 360, 202}}
	for name, alt := range map[string]pair{
		"source width":       {642, 360, 400, 226},
		"source height":      {640, 362, 400, 226},
		"destination width":  {640, 360, 402, 226},
		"destination height": {640, 360, 400, 228},
	} {
		// Kept, most recently used: alt differs from the front entry by
		// one side only.
		check(name+", found", []pair{base, alt, base, alt}, 2)
		// Kept deeper: behind others.
		check(name+", found deeper", append(append(append([]pair{base}, others[:2]...), alt), base, alt), 4)
		// The least recently used (the last slot, checked apart) is base.
		check(name+", replacing", append(append([]pair{base}, others...), alt), 5)
	}
}

// TestScalerCloseTwice: Close is safe to call more than once, also after
// several contexts were made.
func TestScalerCloseTwice(t *testing.T) {
	src := NewFrame(640, 360)
	var s Scaler
	for _, w := range []int{400, 500, 600} {
		canvas := NewImage(w, w*9/16&^1)
		if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s.Close()
	for i, e := range s.ctxs {
		if e.ctx != nil {
			t.Errorf("slot %d still holds a context after Close", i)
		}
	}
}
