package codec

import (
	"image"
	"time"
)

// Frame is a decoded picture in Go memory: YUV 4:2:0 planar (I420) with a
// presentation time. The embedded image.YCbCr always has SubsampleRatio420
// and its Rect starts at (0, 0).
type Frame struct {
	image.YCbCr
	PTS time.Duration
	// Seq numbers the pictures of one source (set by whoever produces
	// them): a consumer that sees the same Seq again can skip the work it
	// already did for that picture.
	Seq uint64
	// SourceWidth and SourceHeight are the size the picture was decoded at,
	// before any cropping and scaling (see VideoDecoder.ReceiveScaled).
	SourceWidth, SourceHeight int
	// Arrival is when a live picture's last packet reached the server
	// (zero offline); the mixer measures its added latency from it.
	Arrival time.Time

	mem []byte // backs the three planes
}

// NewFrame returns a black w×h frame backed by one allocation.
func NewFrame(w, h int) *Frame {
	f := &Frame{}
	f.Resize(w, h)
	fillBlack(&f.YCbCr)
	return f
}

// Width and Height are the picture size.
func (f *Frame) Width() int  { return f.Rect.Dx() }
func (f *Frame) Height() int { return f.Rect.Dy() }

// Resize makes f a w×h picture, reusing its memory when it is large enough.
// The pixel values are unspecified afterwards, and SourceWidth/Height are
// set to w and h.
//
// Rows are padded (stride ≥ width + 32) and the buffer ends with slack:
// FFmpeg's vector code reads and writes up to a vector past a row's end.
func (f *Frame) Resize(w, h int) {
	f.SourceWidth, f.SourceHeight = w, h
	if w == f.Rect.Dx() && h == f.Rect.Dy() && f.Y != nil {
		return
	}
	ys, cs := paddedStride(w), paddedStride((w+1)/2)
	ch := (h + 1) / 2
	ylen, clen := ys*h, cs*ch
	need := ylen + 2*clen + readPad
	if cap(f.mem) < need || cap(f.mem)-need > need/4 {
		// Grow, or give memory back when the picture became smaller: a
		// live participant's three tile frames shrink each time the grid
		// gains a row or column (426x240 to 320x180 is 40 % less), and
		// sizes change only with the layout or the camera, so a frame is
		// seldom reallocated.
		f.mem = make([]byte, need)
	}
	buf := f.mem[:need]
	f.YCbCr = image.YCbCr{
		Y:              buf[:ylen:ylen],
		Cb:             buf[ylen : ylen+clen : ylen+clen],
		Cr:             buf[ylen+clen : ylen+2*clen : ylen+2*clen],
		YStride:        ys,
		CStride:        cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
}

// paddedStride is a row length of at least w+32 bytes, a multiple of 32.
func paddedStride(w int) int { return (w + 32 + 31) &^ 31 }

// readPad is slack after a frame's planes for C code that over-reads.
const readPad = 64

// NewImage returns a black w×h 4:2:0 image with tightly packed planes.
func NewImage(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	fillBlack(img)
	return img
}

// CopyImage copies the pixels of src into dst; both are 4:2:0 images of the
// same size.
func CopyImage(dst, src *image.YCbCr) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(dst.Y, dst.YStride, src.Y, src.YStride, w, h)
	copyPlane(dst.Cb, dst.CStride, src.Cb, src.CStride, cw, ch)
	copyPlane(dst.Cr, dst.CStride, src.Cr, src.CStride, cw, ch)
}

func copyPlane(dst []byte, dstStride int, src []byte, srcStride int, w, h int) {
	if dstStride == w && srcStride == w {
		copy(dst[:w*h], src[:w*h])
		return
	}
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}

// Black is video black in limited range BT.601/709 YUV.
const (
	BlackY = 16
	GreyUV = 128
)

func fillBlack(img *image.YCbCr) {
	FillRect(img, img.Rect, BlackY, GreyUV, GreyUV)
}

// FillRect paints r (even coordinates) of a 4:2:0 image with one colour.
func FillRect(img *image.YCbCr, r image.Rectangle, y, cb, cr uint8) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	for row := r.Min.Y; row < r.Max.Y; row++ {
		fill(img.Y[row*img.YStride+r.Min.X:row*img.YStride+r.Max.X], y)
	}
	cx0, cy0 := r.Min.X/2, r.Min.Y/2
	cx1, cy1 := (r.Max.X+1)/2, (r.Max.Y+1)/2
	for row := cy0; row < cy1; row++ {
		fill(img.Cb[row*img.CStride+cx0:row*img.CStride+cx1], cb)
		fill(img.Cr[row*img.CStride+cx0:row*img.CStride+cx1], cr)
	}
}

func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// EncodedFrame is one compressed video frame or audio packet in Go memory.
type EncodedFrame struct {
	// Codec is a video frame's format; zero (audio frames, frames made
	// by hand) stands for VP8.
	Codec    VideoCodec
	Data     []byte
	PTS      time.Duration // on the mixer's clock
	Duration time.Duration
	Key      bool // a video keyframe (always true for audio)
	// Droppable is a video frame no later frame refers to: it updates no
	// reference buffer of the decoder, nor any other state a later frame
	// depends on, so a receiver may be sent the stream without it (at a
	// lower frame rate, see VP8Encoder.SetTwoLayers). Never set on
	// keyframes or audio.
	Droppable bool
}

// Target decides how a decoded w×h picture is delivered: the crop rectangle
// to use (even X and Y) and the size to scale it to.
type Target func(w, h int) (crop image.Rectangle, size image.Point)

// NoPTS marks an unknown presentation time.
const NoPTS time.Duration = -1 << 63

// CopyRect copies the src rectangle r (even X and Y) of a 4:2:0 image into
// dst with its top-left corner at p (even coordinates).
func CopyRect(dst *image.YCbCr, p image.Point, src *image.YCbCr, r image.Rectangle) {
	w, h := r.Dx(), r.Dy()
	so := (r.Min.Y-src.Rect.Min.Y)*src.YStride + r.Min.X - src.Rect.Min.X
	do := (p.Y-dst.Rect.Min.Y)*dst.YStride + p.X - dst.Rect.Min.X
	copyPlane(dst.Y[do:], dst.YStride, src.Y[so:], src.YStride, w, h)
	cw, ch := (w+1)/2, (h+1)/2
	so = (r.Min.Y-src.Rect.Min.Y)/2*src.CStride + (r.Min.X-src.Rect.Min.X)/2
	do = (p.Y-dst.Rect.Min.Y)/2*dst.CStride + (p.X-dst.Rect.Min.X)/2
	copyPlane(dst.Cb[do:], dst.CStride, src.Cb[so:], src.CStride, cw, ch)
	copyPlane(dst.Cr[do:], dst.CStride, src.Cr[so:], src.CStride, cw, ch)
}
