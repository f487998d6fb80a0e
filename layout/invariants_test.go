package layout

import (
	"cmp"
	"fmt"
	"slices"
)

// isEven reports whether v is even (negative v too).
func isEven(v int) bool { return v%2 == 0 }

// rectEven reports whether all four fields of r are even.
func rectEven(r Rect) bool { return isEven(r.X) && isEven(r.Y) && isEven(r.W) && isEven(r.H) }

// checkCells returns an error describing the first broken invariant of
// cells returned for n participants on canvas, or nil.
func checkCells(cells []Rect, n int, canvas Size) error {
	if n <= 0 {
		if cells != nil {
			return fmt.Errorf("n=%d: got %d cells, want nil", n, len(cells))
		}
		return nil
	}
	if len(cells) != n {
		return fmt.Errorf("got %d cells, want %d", len(cells), n)
	}
	bounds := Rect{W: max(canvas.W, 0), H: max(canvas.H, 0)}
	for i, c := range cells {
		if c.Empty() && c != (Rect{}) {
			return fmt.Errorf("cell %d: empty cell %v is not the zero Rect", i, c)
		}
		if !rectEven(c) {
			return fmt.Errorf("cell %d: %v has odd values", i, c)
		}
		if !c.In(bounds) {
			return fmt.Errorf("cell %d: %v is outside canvas %v", i, c, canvas)
		}
	}
	return checkNoOverlap(cells)
}

// checkNoOverlap reports the first pair of overlapping cells. It sorts by X
// and only compares cells whose X ranges meet, so large grids stay cheap.
func checkNoOverlap(cells []Rect) error {
	idx := make([]int, 0, len(cells))
	for i, c := range cells {
		if !c.Empty() {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(cells[a].X, cells[b].X) })
	for k, i := range idx {
		a := cells[i]
		for _, j := range idx[k+1:] {
			b := cells[j]
			if b.X >= a.X+a.W {
				break
			}
			if a.Overlaps(b) {
				return fmt.Errorf("cells %d %v and %d %v overlap", i, a, j, b)
			}
		}
	}
	return nil
}

// evenBox is the test's own computation of the largest even rectangle inside
// cell; ok is false when it is smaller than 2x2 or the cell is beyond MaxDim.
func evenBox(cell Rect) (box Rect, ok bool) {
	if cell.X < -MaxDim || cell.X > MaxDim || cell.Y < -MaxDim || cell.Y > MaxDim ||
		cell.W > MaxDim || cell.H > MaxDim || cell.W <= 0 || cell.H <= 0 {
		return Rect{}, false
	}
	x0, y0 := cell.X, cell.Y
	if !isEven(x0) {
		x0++
	}
	if !isEven(y0) {
		y0++
	}
	x1, y1 := cell.X+cell.W, cell.Y+cell.H
	if !isEven(x1) {
		x1--
	}
	if !isEven(y1) {
		y1--
	}
	if x1-x0 < 2 || y1-y0 < 2 {
		return Rect{}, false
	}
	return Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}, true
}

// absDiff returns |a-b| for int64 values.
func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// centred reports whether inner sits centred in outer along one axis: the
// leading margin is at most the trailing one and at most slack smaller.
func centred(innerPos, innerLen, outerPos, outerLen, slack int) bool {
	lead := innerPos - outerPos
	trail := outerPos + outerLen - (innerPos + innerLen)
	return lead >= 0 && lead <= trail && trail-lead <= slack
}

// checkPlace returns an error describing the first broken invariant of
// Place(src, cell, a) == (dst, crop), or nil.
func checkPlace(src Size, cell Rect, a Aspect, dst, crop Rect) error {
	box, ok := evenBox(cell)
	if src.W <= 0 || src.H <= 0 || src.W > MaxDim || src.H > MaxDim || !ok {
		if dst != (Rect{}) || crop != (Rect{}) {
			return fmt.Errorf("degenerate input: got dst %v crop %v, want empty", dst, crop)
		}
		return nil
	}
	switch {
	case dst.Empty() || crop.Empty():
		return fmt.Errorf("got empty dst %v or crop %v", dst, crop)
	case !rectEven(dst):
		return fmt.Errorf("dst %v has odd values", dst)
	case !dst.In(cell) || !dst.In(box):
		return fmt.Errorf("dst %v is outside cell %v", dst, cell)
	case !crop.In(src.Rect()):
		return fmt.Errorf("crop %v is outside source %v", crop, src)
	case !isEven(crop.X) || !isEven(crop.Y):
		return fmt.Errorf("crop %v has odd position", crop)
	case !isEven(crop.W) && crop.X+crop.W != src.W:
		return fmt.Errorf("crop %v has odd width short of the source edge %d", crop, src.W)
	case !isEven(crop.H) && crop.Y+crop.H != src.H:
		return fmt.Errorf("crop %v has odd height short of the source edge %d", crop, src.H)
	}
	sw, sh := int64(src.W), int64(src.H)
	if a == Fill {
		bw, bh := int64(box.W), int64(box.H)
		switch {
		case dst != box:
			return fmt.Errorf("fill: dst %v, want the even cell %v", dst, box)
		case crop.W != src.W && crop.H != src.H:
			return fmt.Errorf("fill: crop %v uses neither the full width nor height of %v", crop, src)
		case absDiff(int64(crop.W)*bh, int64(crop.H)*bw) > 2*max(bw, bh):
			return fmt.Errorf("fill: crop %v does not have the aspect of %v", crop, box)
		case !centred(crop.X, crop.W, 0, src.W, 3) || !centred(crop.Y, crop.H, 0, src.H, 3):
			return fmt.Errorf("fill: crop %v is not centred in %v", crop, src)
		}
		return nil
	}
	switch {
	case crop != src.Rect():
		return fmt.Errorf("fit: crop %v, want the whole source %v", crop, src)
	case dst.W != box.W && dst.H != box.H:
		return fmt.Errorf("fit: dst %v touches neither side of %v", dst, box)
	case absDiff(int64(dst.W)*sh, int64(dst.H)*sw) > 2*max(sw, sh):
		return fmt.Errorf("fit: dst %v does not have the aspect of %v", dst, src)
	case !centred(dst.X, dst.W, box.X, box.W, 2) || !centred(dst.Y, dst.H, box.Y, box.H, 2):
		return fmt.Errorf("fit: dst %v is not centred in %v", dst, box)
	}
	return nil
}
