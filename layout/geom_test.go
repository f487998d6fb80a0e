package layout

import "testing"

func TestRectOverlaps(t *testing.T) {
	base := Rect{X: 10, Y: 10, W: 20, H: 20}
	cases := []struct {
		name  string
		other Rect
		want  bool
	}{
		{name: "same", other: base, want: true},
		{name: "inside", other: Rect{X: 12, Y: 12, W: 2, H: 2}, want: true},
		{name: "corner overlap", other: Rect{X: 28, Y: 28, W: 10, H: 10}, want: true},
		{name: "touching right edge", other: Rect{X: 30, Y: 10, W: 10, H: 20}},
		{name: "touching bottom edge", other: Rect{X: 10, Y: 30, W: 20, H: 10}},
		{name: "far away", other: Rect{X: 100, Y: 100, W: 5, H: 5}},
		{name: "empty inside", other: Rect{X: 15, Y: 15}},
		{name: "negative size", other: Rect{X: 40, Y: 40, W: -30, H: -30}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := base.Overlaps(tc.other); got != tc.want {
				t.Errorf("%v.Overlaps(%v) = %v, want %v", base, tc.other, got, tc.want)
			}
			if got := tc.other.Overlaps(base); got != tc.want {
				t.Errorf("%v.Overlaps(%v) = %v, want %v", tc.other, base, got, tc.want)
			}
		})
	}
}

func TestRectIn(t *testing.T) {
	canvas := DefaultCanvas.Rect()
	cases := []struct {
		name string
		r    Rect
		want bool
	}{
		{name: "whole canvas", r: canvas, want: true},
		{name: "inner cell", r: Rect{X: 426, Y: 240, W: 426, H: 240}, want: true},
		{name: "empty at origin", r: Rect{}, want: true},
		{name: "past right edge", r: Rect{X: 1000, W: 282, H: 10}},
		{name: "past bottom edge", r: Rect{Y: 700, W: 10, H: 22}},
		{name: "negative position", r: Rect{X: -2, W: 10, H: 10}},
		{name: "negative size", r: Rect{X: 10, Y: 10, W: -2, H: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.In(canvas); got != tc.want {
				t.Errorf("%v.In(%v) = %v, want %v", tc.r, canvas, got, tc.want)
			}
			if got := canvas.Contains(tc.r); got != tc.want {
				t.Errorf("%v.Contains(%v) = %v, want %v", canvas, tc.r, got, tc.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	cases := []struct {
		name string
		got  string
		want string
	}{
		{name: "size", got: DefaultCanvas.String(), want: "1280x720"},
		{name: "rect", got: Rect{X: 2, Y: 4, W: 426, H: 240}.String(), want: "426x240@(2,4)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	cases := []struct {
		name string
		r    Rect
		want bool
	}{
		{name: "zero", r: Rect{}, want: true},
		{name: "zero width", r: Rect{W: 0, H: 4}, want: true},
		{name: "negative height", r: Rect{W: 4, H: -4}, want: true},
		{name: "2x2", r: Rect{X: 8, Y: 8, W: 2, H: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Empty(); got != tc.want {
				t.Errorf("%v.Empty() = %v, want %v", tc.r, got, tc.want)
			}
			if got := tc.r.Size().Empty(); got != tc.want {
				t.Errorf("%v.Size().Empty() = %v, want %v", tc.r, got, tc.want)
			}
		})
	}
}
