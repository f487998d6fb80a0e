package mediatest

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
)

// BT.601 luma weights of red and blue (green is the rest).
const (
	kr = 0.299
	kb = 0.114
	kg = 1 - kr - kb
)

// Limited ("TV") range: Y' spans 16..235 and Cb, Cr span 16..240 around 128.
const (
	yBlack    = 16
	yRange    = 219
	cZero     = 128
	cRange    = 224
	fullRange = 255
)

// YCbCrFromRGB converts 8-bit RGB to BT.601 limited-range Y'CbCr, as
// ffmpeg's default RGB to yuv420p conversion does for the test clips. (Go's
// color.RGBToYCbCr uses the full-range JPEG variant instead.)
func YCbCrFromRGB(r, g, b uint8) (y, cb, cr uint8) {
	yf, cbf, crf := ycbcrFloat(float64(r), float64(g), float64(b))
	return clamp8(yf), clamp8(cbf), clamp8(crf)
}

// RGBFromYCbCr converts BT.601 limited-range Y'CbCr to 8-bit RGB, clamping
// values that fall outside the RGB cube.
func RGBFromYCbCr(y, cb, cr uint8) (r, g, b uint8) {
	luma := (float64(y) - yBlack) / yRange
	pb := (float64(cb) - cZero) / cRange
	pr := (float64(cr) - cZero) / cRange
	rf := luma + 2*(1-kr)*pr
	bf := luma + 2*(1-kb)*pb
	gf := (luma - kr*rf - kb*bf) / kg
	return clamp8(fullRange * rf), clamp8(fullRange * gf), clamp8(fullRange * bf)
}

func clamp8(v float64) uint8 {
	return uint8(math.Round(min(max(v, 0), 255)))
}

// ToRGBA converts a Y'CbCr picture to RGBA for viewing or storing as PNG,
// reading the samples as BT.601 limited range. Each pixel takes the chroma
// sample that covers it.
func ToRGBA(img *image.YCbCr) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.COffset(x, y)
			r, g, bl := RGBFromYCbCr(img.Y[img.YOffset(x, y)], img.Cb[c], img.Cr[c])
			i := out.PixOffset(x, y)
			out.Pix[i+0], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = r, g, bl, 0xff
		}
	}
	return out
}

// FromRGBA converts a picture to 4:2:0 BT.601 limited-range Y'CbCr, the
// inverse of ToRGBA: each chroma sample is the mean of the chroma of the
// (up to four) pixels it covers. The result starts at (0, 0).
//
// A picture that went through ToRGBA and back differs from the original by
// rounding to 8-bit RGB (and by clamping of colours outside the RGB cube):
// decoded video comes back at a PSNR well above 45 dB.
func FromRGBA(src image.Image) *image.YCbCr {
	b := src.Bounds()
	out := image.NewYCbCr(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio420)
	cbSum := make([]float64, len(out.Cb))
	crSum := make([]float64, len(out.Cr))
	count := make([]int, len(out.Cb))
	for y := range b.Dy() {
		for x := range b.Dx() {
			r16, g16, b16, _ := src.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yy, cb, cr := ycbcrFloat(float64(r16>>8), float64(g16>>8), float64(b16>>8))
			out.Y[out.YOffset(x, y)] = clamp8(yy)
			c := out.COffset(x, y)
			cbSum[c] += cb
			crSum[c] += cr
			count[c]++
		}
	}
	for c, n := range count {
		out.Cb[c] = clamp8(cbSum[c] / float64(n))
		out.Cr[c] = clamp8(crSum[c] / float64(n))
	}
	return out
}

// ycbcrFloat is YCbCrFromRGB on 0..255 floats, without rounding.
func ycbcrFloat(r, g, b float64) (y, cb, cr float64) {
	r, g, b = r/fullRange, g/fullRange, b/fullRange
	luma := kr*r + kg*g + kb*b
	return yBlack + yRange*luma, cZero + cRange*(b-luma)/(2*(1-kb)), cZero + cRange*(r-luma)/(2*(1-kr))
}

// WritePNG stores a Y'CbCr picture as an RGB PNG (through ToRGBA), so that
// golden frames can be looked at with any image viewer.
func WritePNG(path string, img *image.YCbCr) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("mediatest: %w", err)
	}
	if err := png.Encode(f, ToRGBA(img)); err != nil {
		f.Close()
		return fmt.Errorf("mediatest: encode %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mediatest: %w", err)
	}
	return nil
}

// ReadPNG loads a PNG written by WritePNG (or any PNG) as 4:2:0 Y'CbCr
// (through FromRGBA), ready to compare with decoded frames by PSNR.
func ReadPNG(path string) (*image.YCbCr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mediatest: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("mediatest: decode %s: %w", path, err)
	}
	return FromRGBA(img), nil
}
