package layout

// GridShape returns the number of columns and rows GridCells uses for n
// participants on canvas, or 0, 0 when n <= 0 or no grid with cells of at
// least 2x2 pixels fits.
//
// Among the shapes with cols*rows >= n (and the fewest rows for the number of
// columns), it picks the one where a 16:9 picture fitted into a cell covers
// the largest area; on a tie it prefers fewer rows, then fewer columns. The
// score uses the exact cell size canvas/cols x canvas/rows, before rounding
// to even pixels, so that rounding cannot break ties unevenly: on 1280x720 a
// 3x2 grid of 426.67x360 cells ties with 2x3 of 640x240 and wins on rows.
func GridShape(n int, canvas Size) (cols, rows int) {
	c := usable(canvas)
	if n <= 0 {
		return 0, 0
	}
	// The fitted 16:9 area grows with min(9*cellW, 16*cellH); keep that
	// value as the fraction bestNum/bestDen.
	bestNum, bestDen := int64(-1), int64(1)
	for cl := 1; cl <= n && cl <= c.W/2; cl++ {
		r := (n-1)/cl + 1
		if r > c.H/2 {
			continue
		}
		num, den := 9*int64(c.W), int64(cl)
		if 16*int64(c.H)*int64(cl) < 9*int64(c.W)*int64(r) {
			num, den = 16*int64(c.H), int64(r)
		}
		lhs, rhs := num*bestDen, bestNum*den
		if lhs > rhs || (lhs == rhs && r < rows) {
			bestNum, bestDen = num, den
			cols, rows = cl, r
		}
	}
	return cols, rows
}

// GridCells returns n equal cells arranged as GridShape says, in row-major
// order. Cell width is canvas width / cols rounded down to even, likewise the
// height; the grid is centred on the canvas (the remainder becomes margins
// with even offsets) and an incomplete last row is centred horizontally.
// n <= 0 returns nil; when no grid fits, all n cells are empty.
func GridCells(n int, canvas Size) []Rect {
	if n <= 0 {
		return nil
	}
	cells := make([]Rect, n)
	cols, rows := GridShape(n, canvas)
	if cols == 0 {
		return cells
	}
	c := usable(canvas)
	cw, ch := floorEven(c.W/cols), floorEven(c.H/rows)
	y0 := floorEven((c.H - rows*ch) / 2)
	for i := range cells {
		row, col := i/cols, i%cols
		inRow := min(cols, n-row*cols)
		x0 := floorEven((c.W - inRow*cw) / 2)
		cells[i] = Rect{X: x0 + col*cw, Y: y0 + row*ch, W: cw, H: ch}
	}
	return cells
}
