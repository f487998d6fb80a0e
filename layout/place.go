package layout

// Place decides how a source picture of size src is drawn into cell: dst is
// where the picture lands on the canvas and crop is the part of the source
// that is scaled into dst.
//
// With Fit (and any unknown Aspect) the whole source is used and dst is the
// largest rectangle with the source's aspect ratio that fits in the cell,
// centred (letterbox or pillarbox). With Fill dst is the cell and crop is the
// largest centred region of the source with the cell's aspect ratio.
//
// dst has even X, Y, W and H and lies inside cell; a cell with odd edges is
// first shrunk to the largest even rectangle inside it. dst is at least 2x2
// whenever that even rectangle is. crop lies inside the source with even X
// and Y; its W and H are even except where the crop runs to the source's
// right or bottom edge, so an odd-sized source used whole keeps its size.
// The computed side is rounded to the nearest even value (at least 2), so
// the aspect ratio is kept to within a pixel.
//
// A source or cell with no usable area, or beyond MaxDim, gives two empty
// rectangles.
func Place(src Size, cell Rect, a Aspect) (dst, crop Rect) {
	if src.W <= 0 || src.H <= 0 || src.W > MaxDim || src.H > MaxDim {
		return Rect{}, Rect{}
	}
	box, ok := evenInside(cell)
	if !ok {
		return Rect{}, Rect{}
	}
	if a == Fill {
		return box, fillCrop(src, box.Size())
	}
	return fitDst(src, box), src.Rect()
}

// fitDst returns the largest even rectangle with src's aspect ratio centred
// in box (box is even and at least 2x2).
func fitDst(src Size, box Rect) Rect {
	sw, sh := int64(src.W), int64(src.H)
	bw, bh := int64(box.W), int64(box.H)
	w, h := box.W, box.H
	if sw*bh >= sh*bw {
		// The source is at least as wide as the box: full width.
		h = clampInt(roundEvenDiv(bw*sh, sw), 2, box.H)
	} else {
		w = clampInt(roundEvenDiv(bh*sw, sh), 2, box.W)
	}
	return Rect{
		X: box.X + floorEven((box.W-w)/2),
		Y: box.Y + floorEven((box.H-h)/2),
		W: w,
		H: h,
	}
}

// fillCrop returns the largest centred region of src with the aspect ratio
// of box (box is even and at least 2x2).
func fillCrop(src Size, box Size) Rect {
	sw, sh := int64(src.W), int64(src.H)
	bw, bh := int64(box.W), int64(box.H)
	if sw*bh > sh*bw {
		// The source is wider than the box: full height, cropped width.
		w := cropSide(roundEvenDiv(sh*bw, bh), src.W)
		return Rect{X: floorEven((src.W - w) / 2), W: w, H: src.H}
	}
	h := cropSide(roundEvenDiv(sw*bh, bw), src.H)
	return Rect{Y: floorEven((src.H - h) / 2), W: src.W, H: h}
}

// cropSide limits an even crop length v to a source side of length side:
// the whole side when v reaches it, and at least 2 (or the whole side when
// it is shorter).
func cropSide(v, side int) int {
	switch {
	case v >= side:
		return side
	case v < 2:
		return min(2, side)
	default:
		return v
	}
}
