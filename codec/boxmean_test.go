//go:build cgo

package codec

import (
	"image"
	"math"
	"math/rand"
	"testing"
)

// refBox is the exact area-weighted box mean of a plane (float):
// output pixel (x, y) averages source [x*sw/dw, (x+1)*sw/dw) × [...],
// partial pixels weighted by their covered fraction.
func refBox(p []byte, stride, sw, sh, dw, dh int) []float64 {
	out := make([]float64, dw*dh)
	fx, fy := float64(sw)/float64(dw), float64(sh)/float64(dh)
	for y := range dh {
		y0, y1 := float64(y)*fy, float64(y+1)*fy
		for x := range dw {
			x0, x1 := float64(x)*fx, float64(x+1)*fx
			var sum, area float64
			for sy := int(y0); sy < int(math.Ceil(y1)) && sy < sh; sy++ {
				wy := math.Min(y1, float64(sy+1)) - math.Max(y0, float64(sy))
				for sx := int(x0); sx < int(math.Ceil(x1)) && sx < sw; sx++ {
					wx := math.Min(x1, float64(sx+1)) - math.Max(x0, float64(sx))
					sum += wx * wy * float64(p[sy*stride+sx])
					area += wx * wy
				}
			}
			out[y*dw+x] = sum / area
		}
	}
	return out
}

type boxErr struct{ max, mean, bias float64 }

func compareBox(got []byte, stride, w, h int, ref []float64) boxErr {
	var e boxErr
	for y := range h {
		for x := range w {
			d := float64(got[y*stride+x]) - ref[y*w+x]
			e.max = math.Max(e.max, math.Abs(d))
			e.mean += math.Abs(d)
			e.bias += d
		}
	}
	e.mean /= float64(w * h)
	e.bias /= float64(w * h)
	return e
}

type boxPattern struct {
	name string
	fill func(x, y int, r *rand.Rand) byte
}

var boxPatterns = []boxPattern{
	{"flat200", func(x, y int, r *rand.Rand) byte { return 200 }},
	{"flat235", func(x, y int, r *rand.Rand) byte { return 235 }},
	{"random", func(x, y int, r *rand.Rand) byte { return byte(16 + r.Intn(220)) }},
	{"cols1px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[x%2] }},
	{"rows1px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[y%2] }},
	{"check1px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[(x+y)%2] }},
	{"rows8px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[(y/8)%2] }},
	{"rows6px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[(y/6)%2] }},
	{"rows12px", func(x, y int, r *rand.Rand) byte { return []byte{16, 235}[(y/12)%2] }},
	{"sin7.3", func(x, y int, r *rand.Rand) byte { return byte(125 + 100*math.Sin(2*math.Pi*float64(y)/7.3)) }},
	{"sin16.7", func(x, y int, r *rand.Rand) byte { return byte(125 + 100*math.Sin(2*math.Pi*float64(x+y)/16.7)) }},
	{"gradient", func(x, y int, r *rand.Rand) byte { return byte(16 + (x*219)/4000) }},
}

func patternPicture(w, h int, pat boxPattern) *image.YCbCr {
	img := NewImage(w, h)
	r := rand.New(rand.NewSource(1))
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = pat.fill(x, y, r)
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		for x := range cw {
			img.Cb[y*img.CStride+x] = pat.fill(x, y, r)
			img.Cr[y*img.CStride+x] = pat.fill(x+1, y, r)
		}
	}
	return img
}

// TestLargeShrinkIsABoxMean: a shrink by more than 16 on a side (tiny
// thumbnails of large cameras) is the mean of the source samples under
// each output sample, luma and chroma, on flat, random, striped, wavy and
// graded pictures: within half a level on average (rounded, not cut), and no sample further off
// than a box's edge can make it (its integer boundaries against the exact
// fractional ones: a column or row of the source, at most, on each side).
// libyuv's box filter, which did these before, came out dark, black, or
// striped.
func TestLargeShrinkIsABoxMean(t *testing.T) {
	var s Scaler
	defer s.Close()
	var biases []float64
	for _, c := range []struct{ sw, sh, dw, dh int }{
		{1920, 1080, 18, 10}, {1920, 1080, 192, 8}, {1921, 1081, 19, 11}, {3840, 2160, 38, 22},
		{1281, 16, 9, 2}, {1279, 720, 40, 22}, {640, 360, 10, 6}, {4096, 2304, 2, 2},
	} {
		for _, pat := range boxPatterns {
			src := patternPicture(c.sw, c.sh, pat)
			dst := NewImage(c.dw, c.dh)
			if err := s.Scale(dst, dst.Rect, src, src.Rect); err != nil {
				t.Fatalf("%v: %v", c, err)
			}
			box := min(float64(c.sw)/float64(c.dw), float64(c.sh)/float64(c.dh))
			allowed := 1 + 2*219/box // a source column or row each side
			for _, p := range []struct {
				name           string
				got, ref       []byte
				stride, w, h   int
				sw, sh, dw, dh int
			}{
				{"luma", dst.Y, src.Y, dst.YStride, c.dw, c.dh, c.sw, c.sh, c.dw, c.dh},
				{"chroma", dst.Cb, src.Cb, dst.CStride, (c.dw + 1) / 2, (c.dh + 1) / 2, (c.sw + 1) / 2, (c.sh + 1) / 2, (c.dw + 1) / 2, (c.dh + 1) / 2},
			} {
				stride := src.YStride
				if p.name == "chroma" {
					stride = src.CStride
				}
				e := compareBox(p.got, p.stride, p.w, p.h, refBox(p.ref, stride, p.sw, p.sh, p.dw, p.dh))
				biases = append(biases, e.bias)
				if math.Abs(e.bias) > 0.51 || e.max > allowed {
					t.Errorf("%dx%d -> %dx%d %s %s: off the box mean by %+.2f on average, up to %.1f (allowed %.1f)",
						c.sw, c.sh, c.dw, c.dh, pat.name, p.name, e.bias, e.max, allowed)
				}
			}
		}
	}
	// Rounded, not cut: no lean over all of them (cutting leans by half a
	// level).
	var sum float64
	for _, b := range biases {
		sum += b
	}
	if m := sum / float64(len(biases)); math.Abs(m) > 0.15 {
		t.Errorf("off the box mean by %+.2f on average over every case: not rounded", m)
	}
}
