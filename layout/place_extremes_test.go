package layout

import "testing"

// TestPlaceExtremeShapes pins the clamps the table of TestPlace does not
// reach: a computed side that rounds to 0 becomes 2 (a visible line, with
// the crop kept to the box's shape), never 0 or the whole side.
func TestPlaceExtremeShapes(t *testing.T) {
	cases := []placeCase{
		{
			name: "fit very wide source", src: Size{W: 10000, H: 3}, cell: Rect{W: 426, H: 240}, aspect: Fit,
			dst: Rect{Y: 118, W: 426, H: 2}, crop: Rect{W: 10000, H: 3},
		},
		{
			name: "fill very tall source into a flat cell", src: Size{W: 3, H: 10000}, cell: Rect{W: 426, H: 2}, aspect: Fill,
			dst: Rect{W: 426, H: 2}, crop: Rect{Y: 4998, W: 3, H: 2},
		},
	}
	for _, tc := range cases {
		dst, crop := Place(tc.src, tc.cell, tc.aspect)
		if dst != tc.dst || crop != tc.crop {
			t.Errorf("%s: dst %v crop %v, want %v %v", tc.name, dst, crop, tc.dst, tc.crop)
		}
		if err := checkPlace(tc.src, tc.cell, tc.aspect, dst, crop); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
