package layout

import "fmt"

// MaxDim bounds the coordinates and sizes layout works with. A canvas larger
// than MaxDim in either direction is clamped to it; Place treats a source or
// cell beyond it as degenerate. The bound keeps every product of two
// dimensions well inside int64 (and a single dimension inside int32).
const MaxDim = 1 << 24

// DefaultCanvas is the output canvas size of the mixer unless configured
// otherwise.
var DefaultCanvas = Size{W: 1280, H: 720}

// Size is a width and a height in pixels.
type Size struct{ W, H int }

// Empty reports whether s has no area.
func (s Size) Empty() bool { return s.W <= 0 || s.H <= 0 }

// Rect returns the rectangle of size s at the origin.
func (s Size) Rect() Rect { return Rect{W: s.W, H: s.H} }

// String formats s as "WxH".
func (s Size) String() string { return fmt.Sprintf("%dx%d", s.W, s.H) }

// Rect is an axis-aligned rectangle: top-left corner X, Y, width W and
// height H, in pixels.
type Rect struct{ X, Y, W, H int }

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Size returns the width and height of r.
func (r Rect) Size() Size { return Size{W: r.W, H: r.H} }

// In reports whether r lies within o: r has no negative size and its edges
// are on or inside o's edges. An empty r positioned inside o counts as in.
func (r Rect) In(o Rect) bool {
	return r.W >= 0 && r.H >= 0 &&
		r.X >= o.X && r.Y >= o.Y &&
		r.X+r.W <= o.X+o.W && r.Y+r.H <= o.Y+o.H
}

// Contains reports whether o lies within r; it is o.In(r).
func (r Rect) Contains(o Rect) bool { return o.In(r) }

// Overlaps reports whether r and o share a region of positive area.
func (r Rect) Overlaps(o Rect) bool {
	if r.Empty() || o.Empty() {
		return false
	}
	return r.X < o.X+o.W && o.X < r.X+r.W &&
		r.Y < o.Y+o.H && o.Y < r.Y+r.H
}

// String formats r as "WxH@(X,Y)".
func (r Rect) String() string {
	return fmt.Sprintf("%dx%d@(%d,%d)", r.W, r.H, r.X, r.Y)
}
