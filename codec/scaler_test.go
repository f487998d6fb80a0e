//go:build cgo

package codec

import (
	"image"
	"math/rand/v2"
	"testing"
)

// TestScalerWritesOnlyInside paints a sentinel canvas, scales into many
// rectangles of awkward sizes and positions, and checks that no pixel outside
// the destination rectangle changed: tiles are painted independently, so a
// scaler that spills into its neighbour would corrupt tiles not repainted.
func TestScalerWritesOnlyInside(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := NewFrame(641, 361)
	for i := range src.Y {
		src.Y[i] = byte(rng.IntN(256))
	}
	var s Scaler
	defer s.Close()
	canvas := NewImage(1280, 720)
	for range 300 {
		FillRect(canvas, canvas.Rect, 7, 9, 11)
		w := 2 + 2*rng.IntN(300)
		h := 2 + 2*rng.IntN(200)
		x := 2 * rng.IntN((1280-w)/2+1)
		y := 2 * rng.IntN((720-h)/2+1)
		dst := image.Rect(x, y, x+w, y+h)
		if err := s.Scale(canvas, dst, &src.YCbCr, src.Rect); err != nil {
			t.Fatal(err)
		}
		assertUntouched(t, canvas, dst, 7, 9, 11)
	}
}

func assertUntouched(t *testing.T, img *image.YCbCr, inside image.Rectangle, y, cb, cr uint8) {
	t.Helper()
	for py := 0; py < img.Rect.Dy(); py++ {
		for px := 0; px < img.Rect.Dx(); px++ {
			if image.Pt(px, py).In(inside) {
				continue
			}
			if img.Y[py*img.YStride+px] != y {
				t.Fatalf("luma written at (%d,%d) outside %v", px, py, inside)
			}
		}
	}
	cin := image.Rect(inside.Min.X/2, inside.Min.Y/2, (inside.Max.X+1)/2, (inside.Max.Y+1)/2)
	for py := 0; py < (img.Rect.Dy()+1)/2; py++ {
		for px := 0; px < (img.Rect.Dx()+1)/2; px++ {
			if image.Pt(px, py).In(cin) {
				continue
			}
			if img.Cb[py*img.CStride+px] != cb || img.Cr[py*img.CStride+px] != cr {
				t.Fatalf("chroma written at (%d,%d) outside %v", px, py, cin)
			}
		}
	}
}

// TestScalerHalvesByMean shrinks a picture to exactly half with both paths
// (the AVFrame one is covered by TestReceiveScaled): at half size the box
// filter must give each output pixel the mean of the 2x2 source pixels under
// it, so a pattern of alternating 2x2 blocks survives and a pixel-level
// checkerboard turns into its mean grey.
func TestScalerHalvesByMean(t *testing.T) {
	src := NewFrame(64, 32)
	for y := range 32 {
		for x := range 64 {
			v := byte(40)
			if (x/2+y/2)%2 == 1 {
				v = 200 // 2x2 blocks
			}
			if x >= 32 && (x+y)%2 == 1 {
				v = 100 // right half: a one-pixel checkerboard of 20 and 100
			} else if x >= 32 {
				v = 20
			}
			src.Y[y*src.YStride+x] = v
		}
	}
	var s Scaler
	defer s.Close()
	canvas := NewImage(32, 16)
	if err := s.Scale(canvas, canvas.Rect, &src.YCbCr, src.Rect); err != nil {
		t.Fatal(err)
	}
	for y := range 16 {
		for x := range 32 {
			got := canvas.Y[y*canvas.YStride+x]
			want := byte(40)
			switch {
			case x >= 16:
				want = 60
			case (x+y)%2 == 1:
				want = 200
			}
			if got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}
