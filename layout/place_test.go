package layout

import "testing"

// placeCase is one Place call and its expected result; the cases also seed
// FuzzPlace.
type placeCase struct {
	name      string
	src       Size
	cell      Rect
	aspect    Aspect
	dst, crop Rect
}

var placeCases = []placeCase{
	{
		name: "fit same aspect", src: Size{W: 1280, H: 720}, cell: Rect{W: 640, H: 360}, aspect: Fit,
		dst: Rect{W: 640, H: 360}, crop: Rect{W: 1280, H: 720},
	},
	{
		name: "fill same aspect", src: Size{W: 1280, H: 720}, cell: Rect{X: 640, Y: 360, W: 640, H: 360}, aspect: Fill,
		dst: Rect{X: 640, Y: 360, W: 640, H: 360}, crop: Rect{W: 1280, H: 720},
	},
	{
		name: "fit 4:3 pillarbox", src: Size{W: 640, H: 480}, cell: Rect{W: 640, H: 360}, aspect: Fit,
		dst: Rect{X: 80, W: 480, H: 360}, crop: Rect{W: 640, H: 480},
	},
	{
		name: "fit landscape into portrait cell", src: Size{W: 1280, H: 720}, cell: Rect{W: 360, H: 640}, aspect: Fit,
		dst: Rect{Y: 218, W: 360, H: 202}, crop: Rect{W: 1280, H: 720},
	},
	{
		name: "fit portrait into landscape cell", src: Size{W: 720, H: 1280}, cell: Rect{W: 1280, H: 720}, aspect: Fit,
		dst: Rect{X: 436, W: 406, H: 720}, crop: Rect{W: 720, H: 1280},
	},
	{
		name: "fill landscape into portrait cell", src: Size{W: 1280, H: 720}, cell: Rect{W: 360, H: 640}, aspect: Fill,
		dst: Rect{W: 360, H: 640}, crop: Rect{X: 436, W: 406, H: 720},
	},
	{
		name: "fill portrait into landscape cell", src: Size{W: 720, H: 1280}, cell: Rect{W: 640, H: 360}, aspect: Fill,
		dst: Rect{W: 640, H: 360}, crop: Rect{Y: 436, W: 720, H: 406},
	},
	{
		name: "fit odd source", src: Size{W: 322, H: 181}, cell: Rect{X: 2, W: 426, H: 240}, aspect: Fit,
		dst: Rect{X: 2, W: 426, H: 240}, crop: Rect{W: 322, H: 181},
	},
	{
		name: "fill odd source used whole", src: Size{W: 322, H: 181}, cell: Rect{X: 2, W: 426, H: 240}, aspect: Fill,
		dst: Rect{X: 2, W: 426, H: 240}, crop: Rect{W: 322, H: 181},
	},
	{
		name: "fill odd source cropped", src: Size{W: 321, H: 241}, cell: Rect{W: 640, H: 360}, aspect: Fill,
		dst: Rect{W: 640, H: 360}, crop: Rect{Y: 30, W: 321, H: 180},
	},
	{
		name: "fit 1x1 source", src: Size{W: 1, H: 1}, cell: Rect{W: 426, H: 240}, aspect: Fit,
		dst: Rect{X: 92, W: 240, H: 240}, crop: Rect{W: 1, H: 1},
	},
	{
		name: "fill 1x1 source", src: Size{W: 1, H: 1}, cell: Rect{W: 426, H: 240}, aspect: Fill,
		dst: Rect{W: 426, H: 240}, crop: Rect{W: 1, H: 1},
	},
	{
		name: "fit very thin source", src: Size{W: 1, H: 1000}, cell: Rect{W: 426, H: 240}, aspect: Fit,
		dst: Rect{X: 212, W: 2, H: 240}, crop: Rect{W: 1, H: 1000},
	},
	{
		name: "fill very wide source", src: Size{W: 10000, H: 3}, cell: Rect{W: 426, H: 240}, aspect: Fill,
		dst: Rect{W: 426, H: 240}, crop: Rect{X: 4996, W: 6, H: 3},
	},
	{
		name: "fit into odd cell", src: Size{W: 1280, H: 720}, cell: Rect{X: 1, Y: 1, W: 5, H: 5}, aspect: Fit,
		dst: Rect{X: 2, Y: 2, W: 4, H: 2}, crop: Rect{W: 1280, H: 720},
	},
	{
		name: "fit into negative position", src: Size{W: 1280, H: 720}, cell: Rect{X: -3, Y: -3, W: 10, H: 10}, aspect: Fit,
		dst: Rect{X: -2, Y: 0, W: 8, H: 4}, crop: Rect{W: 1280, H: 720},
	},
	{
		name: "unknown aspect fits", src: Size{W: 640, H: 480}, cell: Rect{W: 640, H: 360}, aspect: Aspect(7),
		dst: Rect{X: 80, W: 480, H: 360}, crop: Rect{W: 640, H: 480},
	},
	{name: "2x2 cell at odd position", src: Size{W: 640, H: 480}, cell: Rect{X: 1, Y: 1, W: 2, H: 2}},
	{name: "1x1 cell", src: Size{W: 640, H: 480}, cell: Rect{W: 1, H: 1}},
	{name: "empty cell", src: Size{W: 640, H: 480}, cell: Rect{X: 4, Y: 4}},
	{name: "negative cell", src: Size{W: 640, H: 480}, cell: Rect{W: -640, H: -360}, aspect: Fill},
	{name: "empty source", src: Size{W: 0, H: 720}, cell: Rect{W: 640, H: 360}},
	{name: "negative source", src: Size{W: -1, H: -1}, cell: Rect{W: 640, H: 360}, aspect: Fill},
	{name: "oversized source", src: Size{W: MaxDim + 1, H: 720}, cell: Rect{W: 640, H: 360}},
	{name: "oversized cell", src: Size{W: 640, H: 480}, cell: Rect{X: MaxDim + 2, W: 640, H: 360}},
}

func TestPlace(t *testing.T) {
	for _, tc := range placeCases {
		t.Run(tc.name, func(t *testing.T) {
			dst, crop := Place(tc.src, tc.cell, tc.aspect)
			if dst != tc.dst || crop != tc.crop {
				t.Errorf("Place(%v, %v, %v) = dst %v crop %v, want dst %v crop %v",
					tc.src, tc.cell, tc.aspect, dst, crop, tc.dst, tc.crop)
			}
			if err := checkPlace(tc.src, tc.cell, tc.aspect, dst, crop); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestPlaceIntoCells places common camera sizes into every cell of the
// golden layouts with both aspects.
func TestPlaceIntoCells(t *testing.T) {
	sources := []Size{{W: 1280, H: 720}, {W: 640, H: 480}, {W: 480, H: 640}, {W: 322, H: 181}, {W: 1, H: 1}, {W: 1920, H: 1081}}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, cells := range [][]Rect{GridCells(tc.n, tc.canvas), SpeakerCells(tc.n, 0, tc.canvas)} {
				for _, cell := range cells {
					for _, src := range sources {
						for _, a := range []Aspect{Fit, Fill} {
							dst, crop := Place(src, cell, a)
							if err := checkPlace(src, cell, a, dst, crop); err != nil {
								t.Fatalf("Place(%v, %v, %v): %v", src, cell, a, err)
							}
						}
					}
				}
			}
		})
	}
}
