package layout

import (
	"fmt"
	"math"
	"testing"
)

func TestGrid(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			cells := GridCells(tc.n, tc.canvas)
			if err := checkCells(cells, tc.n, tc.canvas); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, formatCells(cells))
		})
	}
}

// gridShapeCases is the shape table for the default 16:9 canvas.
var gridShapeCases = []struct {
	name       string
	n          int
	cols, rows int
}{
	{name: "one", n: 1, cols: 1, rows: 1},
	{name: "two side by side", n: 2, cols: 2, rows: 1},
	{name: "three", n: 3, cols: 2, rows: 2},
	{name: "four", n: 4, cols: 2, rows: 2},
	{name: "five", n: 5, cols: 3, rows: 2},
	{name: "six", n: 6, cols: 3, rows: 2},
	{name: "seven", n: 7, cols: 3, rows: 3},
	{name: "nine", n: 9, cols: 3, rows: 3},
	{name: "ten", n: 10, cols: 4, rows: 3},
	{name: "twelve", n: 12, cols: 4, rows: 3},
	{name: "thirteen", n: 13, cols: 4, rows: 4},
	{name: "sixteen", n: 16, cols: 4, rows: 4},
	{name: "seventeen", n: 17, cols: 5, rows: 4},
	{name: "twenty", n: 20, cols: 5, rows: 4},
	{name: "twenty-one", n: 21, cols: 5, rows: 5},
	{name: "twenty-five", n: 25, cols: 5, rows: 5},
	{name: "twenty-six", n: 26, cols: 6, rows: 5},
	{name: "hundred", n: 100, cols: 10, rows: 10},
	{name: "zero", n: 0, cols: 0, rows: 0},
	{name: "negative", n: -3, cols: 0, rows: 0},
}

func TestGridShape(t *testing.T) {
	for _, tc := range gridShapeCases {
		t.Run(tc.name, func(t *testing.T) {
			cols, rows := GridShape(tc.n, DefaultCanvas)
			if cols != tc.cols || rows != tc.rows {
				t.Errorf("GridShape(%d) = %dx%d, want %dx%d", tc.n, cols, rows, tc.cols, tc.rows)
			}
		})
	}
}

// TestGridShape16x9 checks the rule on a 16:9 canvas for n = 1..100: the
// grid is the smallest square that holds n, with the rows trimmed.
func TestGridShape16x9(t *testing.T) {
	for _, canvas := range []Size{DefaultCanvas, {W: 1920, H: 1080}, {W: 1281, H: 721}} {
		for n := 1; n <= 100; n++ {
			cols, rows := GridShape(n, canvas)
			wantCols := int(math.Ceil(math.Sqrt(float64(n))))
			wantRows := (n + wantCols - 1) / wantCols
			if cols != wantCols || rows != wantRows {
				t.Errorf("%v n=%d: got %dx%d, want %dx%d", canvas, n, cols, rows, wantCols, wantRows)
			}
		}
	}
}

// TestGridCellsMatchShape checks that the cells form the announced shape:
// equal cells of canvas/cols x canvas/rows (even), rows of cols cells.
func TestGridCellsMatchShape(t *testing.T) {
	for _, canvas := range []Size{DefaultCanvas, {W: 640, H: 480}, {W: 720, H: 1280}, {W: 322, H: 180}, {W: 1281, H: 721}} {
		for n := 1; n <= 40; n++ {
			t.Run(fmt.Sprintf("%v_n%d", canvas, n), func(t *testing.T) {
				cols, rows := GridShape(n, canvas)
				cells := GridCells(n, canvas)
				cw, ch := (canvas.W/cols)&^1, (canvas.H/rows)&^1
				for i, c := range cells {
					if c.W != cw || c.H != ch {
						t.Fatalf("cell %d is %v, want %dx%d", i, c, cw, ch)
					}
					row, col := i/cols, i%cols
					if i > 0 && col > 0 && c.X != cells[i-1].X+cw {
						t.Fatalf("cell %d %v does not follow cell %d %v in row %d", i, c, i-1, cells[i-1], row)
					}
					if c.Y != cells[0].Y+row*ch {
						t.Fatalf("cell %d %v not in row %d", i, c, row)
					}
				}
				last := cells[n-1]
				if bottom := canvas.H&^1 - (last.Y + last.H); bottom < cells[0].Y || bottom > cells[0].Y+2 {
					t.Errorf("grid not centred vertically: top margin %d, bottom %d", cells[0].Y, bottom)
				}
				for row := range rows {
					first := cells[row*cols]
					end := cells[min(n, (row+1)*cols)-1]
					right := canvas.W&^1 - (end.X + end.W)
					if first.X > right || right > first.X+2 {
						t.Errorf("row %d not centred: left margin %d, right %d", row, first.X, right)
					}
				}
			})
		}
	}
}

func TestGridNineOnDefaultCanvas(t *testing.T) {
	cells := GridCells(9, DefaultCanvas)
	for i, c := range cells {
		want := Rect{X: (i % 3) * 426, Y: (i / 3) * 240, W: 426, H: 240}
		if c != want {
			t.Errorf("cell %d = %v, want %v", i, c, want)
		}
	}
}

// TestGridShapeUltrawideTie: on 2560x720, 3x2 cells (853.33x360) and 4x2
// (640x360) both fit a 16:9 picture of 640x360; with rows equal, the tie
// goes to fewer columns.
func TestGridShapeUltrawideTie(t *testing.T) {
	if cols, rows := GridShape(5, Size{W: 2560, H: 720}); cols != 3 || rows != 2 {
		t.Errorf("GridShape(5, 2560x720) = %dx%d, want 3x2", cols, rows)
	}
}
