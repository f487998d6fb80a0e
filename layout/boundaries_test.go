package layout

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestMarshalFirstUnknown checks the first value past the known modes and
// aspects: it is an error, as any unknown value is, not an index out of
// range (a panic in whatever marshals a room's layout).
func TestMarshalFirstUnknown(t *testing.T) {
	if _, err := json.Marshal(Mode(len(modeNames))); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("Marshal(Mode(%d)) error = %v, want ErrUnknownMode", len(modeNames), err)
	}
	if _, err := json.Marshal(Aspect(len(aspectNames))); !errors.Is(err, ErrUnknownAspect) {
		t.Errorf("Marshal(Aspect(%d)) error = %v, want ErrUnknownAspect", len(aspectNames), err)
	}
}

// TestPlaceDegenerateCells checks cells Place must refuse although their
// width and height are 2 or more: one whose even part is under 2 pixels
// wide, and one just beyond MaxDim.
func TestPlaceDegenerateCells(t *testing.T) {
	src := Size{W: 640, H: 360}
	cases := []struct {
		name string
		cell Rect
	}{
		{name: "odd edges, no even column", cell: Rect{X: 1, Y: 0, W: 2, H: 100}},
		{name: "odd edges, no even row", cell: Rect{X: 0, Y: 3, W: 100, H: 2}},
		{name: "wider than MaxDim", cell: Rect{W: MaxDim + 2, H: 720}},
		{name: "taller than MaxDim", cell: Rect{W: 1280, H: MaxDim + 2}},
	}
	for _, tc := range cases {
		for _, a := range []Aspect{Fit, Fill} {
			dst, crop := Place(src, tc.cell, a)
			if dst != (Rect{}) || crop != (Rect{}) {
				t.Errorf("%s %v: Place(%v, %v) = %v, %v; want two empty rectangles", tc.name, a, src, tc.cell, dst, crop)
			}
		}
	}
}

// TestSpeakerStripRounding pins the speaker layout where a fifth of the
// canvas height is odd (1024x768: 153.6) and where the thumbnails just fit
// the width at the strip's full height.
func TestSpeakerStripRounding(t *testing.T) {
	cases := []struct {
		name   string
		canvas Size
		n      int
		want   []Rect
	}{
		{
			// The strip is a fifth rounded down to even: 152.
			name: "1024x768", canvas: Size{W: 1024, H: 768}, n: 3,
			want: []Rect{{W: 1024, H: 616}, {X: 242, Y: 616, W: 270, H: 152}, {X: 512, Y: 616, W: 270, H: 152}},
		},
		{
			// Four thumbnails of 258 (16:9 of the 146 strip) fill 1032
			// exactly: they keep the strip's height.
			name: "exact fit", canvas: Size{W: 1032, H: 730}, n: 5,
			want: []Rect{{W: 1032, H: 584}, {Y: 584, W: 258, H: 146}, {X: 258, Y: 584, W: 258, H: 146}, {X: 516, Y: 584, W: 258, H: 146}, {X: 774, Y: 584, W: 258, H: 146}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := SpeakerCells(tc.n, 0, tc.canvas)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("cell %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
			if err := checkCells(got, tc.n, tc.canvas); err != nil {
				t.Error(err)
			}
		})
	}
}
