package codec

import (
	"image"
	"testing"
)

// TestScaleRefusesOddGeometry: Scale takes crops of even X and Y only,
// and planes that hold a picture of odd size to its last chroma sample,
// (w+1)/2 by (h+1)/2: the C code walks the planes with no bounds of its
// own, and would read past a plane one chroma sample short, or mix the
// chroma of two rows for a crop at an odd Y.
func TestScaleRefusesOddGeometry(t *testing.T) {
	var s Scaler
	defer s.Close()
	canvas := NewImage(64, 36)
	src := NewImage(64, 36)
	if err := s.Scale(canvas, image.Rect(0, 0, 32, 18), src, image.Rect(0, 1, 64, 35)); err == nil {
		t.Error("scaled a crop at an odd Y")
	}
	if err := s.Scale(canvas, image.Rect(0, 0, 32, 18), src, image.Rect(1, 0, 63, 36)); err == nil {
		t.Error("scaled a crop at an odd X")
	}
	for _, side := range []string{"Cb", "Cr"} {
		odd := NewImage(9, 9) // chroma 5x5
		if side == "Cb" {
			odd.Cb = odd.Cb[:len(odd.Cb)-1]
		} else {
			odd.Cr = odd.Cr[:len(odd.Cr)-1]
		}
		if err := s.Scale(canvas, image.Rect(0, 0, 6, 6), odd, odd.Rect); err == nil {
			t.Errorf("scaled from a 9x9 picture whose %s plane is a sample short", side)
		}
		if err := s.Scale(odd, odd.Rect, src, src.Rect); err == nil {
			t.Errorf("scaled into a 9x9 picture whose %s plane is a sample short", side)
		}
	}
	// Whole, they scale.
	odd := NewImage(9, 9)
	if err := s.Scale(canvas, image.Rect(0, 0, 6, 6), odd, odd.Rect); err != nil {
		t.Errorf("a whole 9x9 picture: %v", err)
	}
}
