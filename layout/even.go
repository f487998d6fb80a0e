package layout

// floorEven returns the largest even integer not above v (negative v too).
func floorEven(v int) int { return v &^ 1 }

// ceilEven returns the smallest even integer not below v (negative v too).
func ceilEven(v int) int { return (v + 1) &^ 1 }

// roundEvenDiv returns the even integer nearest to p/q, rounding halfway
// cases up. It needs p >= 0 and q > 0.
func roundEvenDiv(p, q int64) int { return int((p+q)/(2*q)) * 2 }

// clampInt limits v to [lo, hi].
func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// usable returns the part of canvas that cells are placed in: the canvas at
// the origin, each side clamped to [0, MaxDim] and rounded down to even.
func usable(canvas Size) Size {
	return Size{
		W: floorEven(clampInt(canvas.W, 0, MaxDim)),
		H: floorEven(clampInt(canvas.H, 0, MaxDim)),
	}
}

// evenInside returns the largest rectangle with even edges inside cell, and
// whether it is at least 2x2. Cells beyond MaxDim are refused.
func evenInside(cell Rect) (Rect, bool) {
	if cell.X < -MaxDim || cell.X > MaxDim || cell.Y < -MaxDim || cell.Y > MaxDim ||
		cell.W < 2 || cell.W > MaxDim || cell.H < 2 || cell.H > MaxDim {
		return Rect{}, false
	}
	x0, y0 := ceilEven(cell.X), ceilEven(cell.Y)
	x1, y1 := floorEven(cell.X+cell.W), floorEven(cell.Y+cell.H)
	if x1-x0 < 2 || y1-y0 < 2 {
		return Rect{}, false
	}
	return Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}, true
}
