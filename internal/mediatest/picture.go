package mediatest

import (
	"image"
	"math"
)

// plane is one colour plane of an image.YCbCr, cut to the image's bounds.
type plane struct {
	pix    []uint8
	stride int
	w, h   int
}

func (p plane) row(y int) []uint8 { return p.pix[y*p.stride : y*p.stride+p.w] }

// planes returns the Y, Cb and Cr planes of img. ok is false for chroma
// subsampling ratios other than 4:4:4, 4:2:2, 4:2:0 and 4:4:0.
func planes(img *image.YCbCr) (y, cb, cr plane, ok bool) {
	r := img.Rect
	hs, vs, ok := subsampling(img.SubsampleRatio)
	if !ok {
		return y, cb, cr, false
	}
	cw := (r.Max.X+hs-1)/hs - r.Min.X/hs
	ch := (r.Max.Y+vs-1)/vs - r.Min.Y/vs
	yo, co := img.YOffset(r.Min.X, r.Min.Y), img.COffset(r.Min.X, r.Min.Y)
	y = plane{img.Y[yo:], img.YStride, r.Dx(), r.Dy()}
	cb = plane{img.Cb[co:], img.CStride, cw, ch}
	cr = plane{img.Cr[co:], img.CStride, cw, ch}
	return y, cb, cr, true
}

// subsampling returns how many luma samples share one chroma sample,
// horizontally and vertically.
func subsampling(r image.YCbCrSubsampleRatio) (hs, vs int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	}
	return 0, 0, false
}

// PSNR returns the peak signal-to-noise ratio of b against a in dB, over all
// Y, Cb and Cr samples together (so 4:2:0 weighs Y:Cb:Cr as 4:1:1, by sample
// count). Identical images give +Inf. Images that cannot be compared
// (different sizes or chroma subsampling, nil, empty) give 0, which fails
// any sensible threshold.
func PSNR(a, b *image.YCbCr) float64 {
	if a == nil || b == nil || a.Rect.Size() != b.Rect.Size() || a.SubsampleRatio != b.SubsampleRatio || a.Rect.Empty() {
		return 0
	}
	ay, acb, acr, ok1 := planes(a)
	by, bcb, bcr, ok2 := planes(b)
	if !ok1 || !ok2 || acb.w != bcb.w || acb.h != bcb.h {
		return 0 // chroma grids differ when the images sit at different offsets
	}
	var sse float64
	var n int
	for _, p := range [][2]plane{{ay, by}, {acb, bcb}, {acr, bcr}} {
		sse += squaredError(p[0], p[1])
		n += p[0].w * p[0].h
	}
	if sse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(n)/sse)
}

func squaredError(a, b plane) float64 {
	var sum int64
	for y := range a.h {
		ra, rb := a.row(y), b.row(y)
		for x := range ra {
			d := int64(ra[x]) - int64(rb[x])
			sum += d * d
		}
	}
	return float64(sum)
}

// MedianColour returns the median Y, Cb and Cr (each taken separately) of
// the samples of img inside r. A chroma sample counts once if any pixel it
// covers lies inside r. An r that misses img gives (0, 0, 0).
func MedianColour(img *image.YCbCr, r image.Rectangle) (y, cb, cr uint8) {
	r = r.Intersect(img.Rect)
	hs, vs, ok := subsampling(img.SubsampleRatio)
	if r.Empty() || !ok {
		return 0, 0, 0
	}
	var hy, hcb, hcr [256]int
	for py := r.Min.Y; py < r.Max.Y; py++ {
		chromaRow := py == r.Min.Y || py%vs == 0
		for px := r.Min.X; px < r.Max.X; px++ {
			hy[img.Y[img.YOffset(px, py)]]++
			if chromaRow && (px == r.Min.X || px%hs == 0) {
				c := img.COffset(px, py)
				hcb[img.Cb[c]]++
				hcr[img.Cr[c]]++
			}
		}
	}
	return median(&hy), median(&hcb), median(&hcr)
}

// median returns the lower median of the values counted in hist.
func median(hist *[256]int) uint8 {
	total := 0
	for _, n := range hist {
		total += n
	}
	seen := 0
	for v, n := range hist {
		seen += n
		if 2*seen >= total {
			return uint8(v)
		}
	}
	return 0
}

// ColourDistance is the Euclidean distance between two Y'CbCr colours.
func ColourDistance(y1, cb1, cr1, y2, cb2, cr2 uint8) float64 {
	dy := float64(y1) - float64(y2)
	dcb := float64(cb1) - float64(cb2)
	dcr := float64(cr1) - float64(cr2)
	return math.Sqrt(dy*dy + dcb*dcb + dcr*dcr)
}
