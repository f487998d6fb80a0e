package mixer

import (
	"context"
	"testing"

	"mcu/codec"
	"mcu/layout"
)

// TestPlaceholderRepaintReusesLabel: a new layout that leaves a
// placeholder's tile its size (the speaker changed between two others)
// repaints it without rendering its label again. Rendered each time, 25
// long names in a speaker strip's thumbnails took 20–70 ms a canvas, and
// the live mix skipped ticks at every speaker change.
func TestPlaceholderRepaintReusesLabel(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	img := codec.NewImage(640, 360)
	mem := &member{Participant: Participant{ID: "a", Name: "Maria-Magdalena Wolkenstein-Trostburg Jr"}, slot: 0}
	cell := layout.Rect{X: 100, Y: 300, W: 52, H: 28}
	var ps paintState
	paint := func() {
		m.gen++ // a new layout: every tile is repainted
		if err := m.paint(context.Background(), img, mem, &ps, cell, 0); err != nil {
			t.Fatal(err)
		}
	}
	paint()
	if a := testing.AllocsPerRun(20, paint); a > 0 {
		t.Errorf("repainting a placeholder of the same size allocates %.0f times: its label is rendered again", a)
	}
	// A new name is drawn anew.
	before := mem.label.mask
	mem.Name = "Ada"
	paint()
	if mem.label.mask == before {
		t.Error("the label was not rendered again for a new name")
	}
}

// TestControlCharacterNameShowsNumber: a name of control characters
// alone (a join's ?name=%00) is not a blank tile: the font has inkless
// glyphs for them, and the tile showed neither a name nor a number.
func TestControlCharacterNameShowsNumber(t *testing.T) {
	for _, name := range []string{"\x00", "\x00\x00\x00", "\x1b"} {
		mem := &member{Participant: Participant{ID: "id", Name: name}, slot: 4}
		lab := label(mem)
		mask := textMask(lab, 256, 144)
		ink := 0
		if mask != nil {
			for _, a := range mask.Pix {
				if a > 128 {
					ink++
				}
			}
		}
		if ink == 0 {
			t.Errorf("name %+q: label %+q draws nothing: a blank tile", name, lab)
		}
	}
}

// TestLabelCacheFollowsTileSize: a placeholder whose tile changes size
// (the speaker's big tile becoming a thumbnail at a speaker change, a grid
// growing) gets its label rendered for the new size, not the big tile's.
func TestLabelCacheFollowsTileSize(t *testing.T) {
	mem := &member{Participant: Participant{ID: "a", Name: "Maria-Magdalena Wolkenstein-Trostburg"}, slot: 0}
	big := mem.label.get(mem, 1280, 576)
	small := mem.label.get(mem, 52, 28)
	if big == nil {
		t.Fatal("no label in a 1280x576 tile")
	}
	if small == big {
		t.Fatal("the 52x28 thumbnail got the 1280x576 tile's label")
	}
	if small != nil && (small.Rect.Dx() > 52 || small.Rect.Dy() > 28) {
		t.Errorf("the 52x28 thumbnail's label is %v", small.Rect)
	}
	if again := mem.label.get(mem, 1280, 576); again.Rect != big.Rect {
		t.Errorf("back in the big tile: label %v, want %v", again.Rect, big.Rect)
	}
}
