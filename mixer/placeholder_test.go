package mixer

import (
	"bytes"
	"image"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// textLuma is the luma above which a placeholder pixel counts as part of its
// label: the tile is placeholderY (48), the text placeholderText (220).
const textLuma = 150

// inCells reports whether pixel x, y lies in one of cells.
func inCells(cells []layout.Rect, x, y int) bool {
	for _, c := range cells {
		if x >= c.X && x < c.X+c.W && y >= c.Y && y < c.Y+c.H {
			return true
		}
	}
	return false
}

// textBox is the bounding box of the label's bright pixels in tile c of img,
// and how many there are.
func textBox(img *image.YCbCr, c layout.Rect) (image.Rectangle, int) {
	box, n := image.Rectangle{}, 0
	for y := c.Y; y < c.Y+c.H; y++ {
		for x := c.X; x < c.X+c.W; x++ {
			if img.Y[y*img.YStride+x] <= textLuma {
				continue
			}
			px := image.Rect(x, y, x+1, y+1)
			if n == 0 {
				box = px
			} else {
				box = box.Union(px)
			}
			n++
		}
	}
	return box, n
}

// TestLayoutChangeClearsTheCanvas: when one of four people leaves, the
// canvas outside the three new cells is black, with nothing left of the
// tiles of the old layout.
func TestLayoutChangeClearsTheCanvas(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 200*time.Millisecond, 600*time.Millisecond)
	colours := [][3]uint8{{81, 90, 240}, {145, 54, 34}, {41, 240, 110}, {200, 100, 150}}
	for i, c := range colours[:3] {
		if err := m.Add(Participant{ID: string(rune('a' + i)), Video: &colourSource{y: c[0], cb: c[1], cr: c[2], w: 320, h: 180}}); err != nil {
			t.Fatal(err)
		}
	}
	d := colours[3]
	gone := &removeAt{m: m, id: "d", at: 400 * time.Millisecond, src: &colourSource{y: d[0], cb: d[1], cr: d[2], w: 320, h: 180}}
	if err := m.Add(Participant{ID: "d", Video: gone}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 700*time.Millisecond)

	size := layout.Size{W: cfg.Video.Width, H: cfg.Video.Height}
	old := layout.Cells(layout.Grid, 4, 0, size)
	if y := lumaAt(tap.got[200*time.Millisecond], old[3]); y != d[0] {
		t.Fatalf("before: d's cell luma %d, want %d", y, d[0])
	}
	img := tap.got[600*time.Millisecond]
	cells := layout.Cells(layout.Grid, 3, 0, size)
	for i, c := range cells {
		if y := lumaAt(img, c); y != colours[i][0] {
			t.Errorf("after: cell %d luma %d, want %d", i, y, colours[i][0])
		}
	}
	var outside, inOld, stale int
	var first image.Point
	for y := range size.H {
		for x := range size.W {
			if inCells(cells, x, y) {
				continue
			}
			outside++
			if inCells(old[3:], x, y) {
				inOld++
			}
			o := y/2*img.CStride + x/2
			if img.Y[y*img.YStride+x] != codec.BlackY || img.Cb[o] != codec.GreyUV || img.Cr[o] != codec.GreyUV {
				if stale == 0 {
					first = image.Pt(x, y)
				}
				stale++
			}
		}
	}
	if inOld == 0 {
		t.Fatalf("the three new cells cover d's old cell: the test checks nothing")
	}
	if stale > 0 {
		t.Errorf("%d of the %d pixels outside the new cells are not black, the first at %v (luma %d)",
			stale, outside, first, img.Y[first.Y*img.YStride+first.X])
	}
}

// TestLongNameStaysInItsTile: a name too long for its placeholder tile,
// Latin or not, is drawn small enough to stay within 0.9 of the tile's
// width, and nothing outside the tile changes.
func TestLongNameStaysInItsTile(t *testing.T) {
	for _, name := range []string{
		"Maria-Magdalena Wolkenstein-Trostburg Jr", // 40 characters
		"Анастасия Александровна Константинопольская",
		"王小明",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			m, tap := tappedMixer(t, cfg, 100*time.Millisecond)
			// A still picture (one a second): text drawn over it would stay.
			pic := &colourSource{y: 120, cb: 60, cr: 200, w: 320, h: 180, fps: 1}
			if err := m.Add(Participant{ID: "a", Video: pic}); err != nil {
				t.Fatal(err)
			}
			if err := m.Add(Participant{ID: "b", Name: name}); err != nil {
				t.Fatal(err)
			}
			run(t, m, 200*time.Millisecond)

			size := layout.Size{W: cfg.Video.Width, H: cfg.Video.Height}
			cells := layout.Cells(layout.Grid, 2, 0, size)
			tile := cells[1]
			// What the canvas is without the name: a's picture fitted into
			// its cell, the rest black.
			want := codec.NewImage(size.W, size.H)
			dst, _ := layout.Place(layout.Size{W: pic.w, H: pic.h}, cells[0], cfg.Aspect)
			codec.FillRect(want, rect(dst), pic.y, pic.cb, pic.cr)
			img := tap.got[100*time.Millisecond]
			var changed int
			for y := range size.H {
				for x := range size.W {
					if inCells(cells[1:], x, y) {
						continue
					}
					o := y/2*img.CStride + x/2
					if img.Y[y*img.YStride+x] != want.Y[y*want.YStride+x] || img.Cb[o] != want.Cb[o] || img.Cr[o] != want.Cr[o] {
						changed++
					}
				}
			}
			if changed > 0 {
				t.Errorf("%d pixels outside the placeholder's tile differ from the canvas without the name", changed)
			}
			box, n := textBox(img, tile)
			if n == 0 {
				t.Fatal("the name is not drawn")
			}
			if box.Dx() > tile.W*9/10 {
				t.Errorf("the name spans %d px of a %d px tile, want at most %d", box.Dx(), tile.W, tile.W*9/10)
			}
		})
	}
}

// TestPlaceholderLabelIsCentred: a placeholder's label sits in the middle
// of its tile, as far from the left edge as from the right and its middle
// at the tile's middle height.
func TestPlaceholderLabelIsCentred(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 100*time.Millisecond)
	if err := m.Add(Participant{ID: "a", Video: &colourSource{y: 120, cb: 60, cr: 200, w: 320, h: 180}}); err != nil {
		t.Fatal(err)
	}
	// Labels whose letters are symmetric, so their ink is centred with
	// their advance box; the third tile is centred in the last row.
	labels := []string{"MOM", "HOH"}
	for i, l := range labels {
		if err := m.Add(Participant{ID: string(rune('b' + i)), Name: l}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, m, 200*time.Millisecond)
	cells := layout.Cells(layout.Grid, 3, 0, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})
	img := tap.got[100*time.Millisecond]
	for i, l := range labels {
		c := cells[i+1]
		box, n := textBox(img, c)
		if n == 0 {
			t.Errorf("%s: no label drawn", l)
			continue
		}
		left, right := box.Min.X-c.X, c.X+c.W-box.Max.X
		if d := left - right; d < -2 || d > 2 {
			t.Errorf("%s: label margins %d px left, %d px right, want within 2 px of each other", l, left, right)
		}
		// Doubled, to stay in whole pixels.
		if d := (box.Min.Y + box.Max.Y) - (2*c.Y + c.H); d < -6 || d > 6 {
			t.Errorf("%s: label's middle at y %.1f, the tile's at %.1f, want within 3 px",
				l, float64(box.Min.Y+box.Max.Y)/2, float64(2*c.Y+c.H)/2)
		}
	}
}

// TestUnnamedPlaceholdersCountFromOne: participants without a name or a
// picture are labelled by their place in the room from one, "#1" then
// "#2", exactly as drawPlaceholder draws those labels.
func TestUnnamedPlaceholdersCountFromOne(t *testing.T) {
	cfg := testConfig()
	m, tap := tappedMixer(t, cfg, 100*time.Millisecond)
	for _, id := range []string{"first", "second"} {
		if err := m.Add(Participant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	run(t, m, 200*time.Millisecond)
	size := layout.Size{W: cfg.Video.Width, H: cfg.Video.Height}
	cells := layout.Cells(layout.Grid, 2, 0, size)
	img := tap.got[100*time.Millisecond]
	labels := []string{"#1", "#2"}
	for i, c := range cells {
		want := codec.NewImage(size.W, size.H)
		drawPlaceholder(want, rect(c), labels[i])
		if !bytes.Equal(tileLuma(img, c), tileLuma(want, c)) {
			t.Errorf("unnamed participant %d's tile is not the placeholder for %q", i, labels[i])
		}
	}
}
