package layout

import "testing"

// fuzzMaxN bounds the participant count in FuzzCells so that each input
// stays fast; larger counts are covered by TestCellsHugeN.
const fuzzMaxN = 600

// fuzzFold folds fuzzed Place inputs into the range of real video sizes.
const fuzzFold = 5000

func FuzzCells(f *testing.F) {
	for _, tc := range goldenCases() {
		f.Add(int(Grid), tc.n, tc.speaker, tc.canvas.W, tc.canvas.H)
		f.Add(int(Speaker), tc.n, tc.n-1, tc.canvas.W, tc.canvas.H)
	}
	for _, tc := range gridShapeCases {
		f.Add(int(Grid), tc.n, 0, DefaultCanvas.W, DefaultCanvas.H)
	}
	for _, c := range propertyCanvases {
		f.Add(int(Speaker), 7, -3, c.W, c.H)
	}
	f.Fuzz(func(t *testing.T, mode, n, speaker, w, h int) {
		n %= fuzzMaxN
		canvas := Size{W: w, H: h}
		cells := Cells(Mode(mode), n, speaker, canvas)
		if err := checkCells(cells, n, canvas); err != nil {
			t.Fatalf("Cells(%d, %d, %d, %v): %v", mode, n, speaker, canvas, err)
		}
	})
}

func FuzzPlace(f *testing.F) {
	for _, tc := range placeCases {
		f.Add(tc.src.W, tc.src.H, tc.cell.X, tc.cell.Y, tc.cell.W, tc.cell.H, int(tc.aspect))
	}
	f.Fuzz(func(t *testing.T, sw, sh, x, y, w, h, aspect int) {
		a := Aspect(aspect)
		// Random ints are mostly beyond MaxDim; also try them folded into
		// video-sized values so the geometry itself gets exercised.
		inputs := []struct {
			src  Size
			cell Rect
		}{
			{Size{W: sw, H: sh}, Rect{X: x, Y: y, W: w, H: h}},
			{Size{W: sw % fuzzFold, H: sh % fuzzFold}, Rect{X: x % fuzzFold, Y: y % fuzzFold, W: w % fuzzFold, H: h % fuzzFold}},
		}
		for _, in := range inputs {
			dst, crop := Place(in.src, in.cell, a)
			if err := checkPlace(in.src, in.cell, a, dst, crop); err != nil {
				t.Fatalf("Place(%v, %v, %v) = %v, %v: %v", in.src, in.cell, a, dst, crop, err)
			}
		}
	})
}
