package mixer

import (
	"image"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"mcu/layout"
)

// inkCut tells how much of label's ink textMask's mask misses: the mask
// is compared with the label drawn, at each size textMask may choose, with
// a wide margin; the size whose ink the mask's matches best is taken.
func inkCut(t *testing.T, label string, w, h int) (cut, total int, ok bool) {
	m := textMask(label, w, h)
	if m == nil {
		return 0, 0, false
	}
	have := 0
	for _, a := range m.Pix {
		have += int(a)
	}
	best := -1
	for size := float64(h) / 4; size >= 6; size *= 0.8 {
		face, err := opentype.NewFace(fontData, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			t.Fatal(err)
		}
		const pad = 64
		adv := font.MeasureString(face, label).Ceil()
		met := face.Metrics()
		big := image.NewAlpha(image.Rect(0, 0, adv+2*pad, (met.Ascent+met.Descent).Ceil()+2*pad))
		d := font.Drawer{Dst: big, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: fixed.I(pad), Y: met.Ascent + fixed.I(pad)}}
		d.DrawString(label)
		face.Close()
		all := 0
		for _, a := range big.Pix {
			all += int(a)
		}
		if best < 0 || abs(all-have) < abs(best-have) {
			best = all
		}
	}
	return best - have, best, true
}

func abs(v int) int { return max(v, -v) }

// TestLabelInkNotCut: a label's letters are drawn whole: no ink of
// theirs falls outside the mask textMask makes (it is cut away).
func TestLabelInkNotCut(t *testing.T) {
	for _, name := range []string{"Jo", "Åsa", "ÉLODIE", "Ågot", "Ǻ", "fjord", "Wolf", "Żaneta", "Ĵ", "Ŷ", "Ÿvonne", "Ω", "ÅÄÖ", "Ǿ"} {
		for _, h := range []int{240, 144, 60} {
			cut, total, ok := inkCut(t, name, 426, h)
			if !ok {
				t.Errorf("%q in a %d high tile: not drawn", name, h)
				continue
			}
			if cut > 0 {
				t.Errorf("%q in a 426x%d tile: %.2f%% of its ink cut off (%d of %d)", name, h, 100*float64(cut)/float64(total), cut, total)
			}
		}
	}
}

// TestLabelInSmallTiles: names in the tiles of a crowded room (speaker
// thumbnails, a grid of 25) are drawn, not left out.
func TestLabelInSmallTiles(t *testing.T) {
	canvas := layout.Size{W: 1280, H: 720}
	for _, tc := range []struct {
		mode layout.Mode
		n    int
	}{{layout.Speaker, 6}, {layout.Speaker, 12}, {layout.Speaker, 20}, {layout.Grid, 25}, {layout.Grid, 49}} {
		cells := layout.Cells(tc.mode, tc.n, 0, canvas)
		c := cells[len(cells)-1]
		for _, name := range []string{"Ada", "Maria-Magdalena Wolkenstein-Trostburg Jr", "Alexandra Papadopoulou", "#12"} {
			if textMask(name, c.W, c.H) == nil {
				t.Errorf("%v of %d: tile %dx%d: %q not drawn at all", tc.mode, tc.n, c.W, c.H, name)
			}
		}
	}
}
