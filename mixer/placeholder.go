package mixer

import (
	"image"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"mcu/codec"
)

// Placeholder colours (limited-range YUV): a dark grey tile, light text.
const (
	placeholderY    = 48
	placeholderText = 220
)

var (
	fontOnce sync.Once
	fontData *opentype.Font
	fontErr  error
)

// drawPlaceholder paints the tile of a participant who has no picture: a
// dark grey rectangle with the participant's label centred on it.
func drawPlaceholder(canvas *image.YCbCr, r image.Rectangle, label string) {
	drawPlaceholderMask(canvas, r, textMask(label, r.Dx(), r.Dy()))
}

// labelCache keeps a participant's rendered label for as long as what it
// is made of (label: the name, and the number) and the tile's size stay:
// a new layout (someone joins or leaves, the speaker changes) repaints
// every placeholder on both canvases, and rendering a label (a face per
// size tried, a measure per length tried) costs up to milliseconds for a
// long name in a small tile.
type labelCache struct {
	name string
	slot int
	w, h int
	mask *image.Alpha
	ok   bool
}

// get returns textMask(label(mem), w, h), rendered again only when the
// name, the number or the size changed.
func (c *labelCache) get(mem *member, w, h int) *image.Alpha {
	if !c.ok || c.name != mem.Name || c.slot != mem.slot || c.w != w || c.h != h {
		*c = labelCache{name: mem.Name, slot: mem.slot, w: w, h: h, mask: textMask(label(mem), w, h), ok: true}
	}
	return c.mask
}

// drawPlaceholderMask is drawPlaceholder with the label already rendered
// (nil: none).
func drawPlaceholderMask(canvas *image.YCbCr, r image.Rectangle, mask *image.Alpha) {
	codec.FillRect(canvas, r, placeholderY, codec.GreyUV, codec.GreyUV)
	if mask == nil {
		return
	}
	// Blend the label into the luma plane only: the text is neutral grey.
	off := r.Min.Add(image.Pt((r.Dx()-mask.Rect.Dx())/2, (r.Dy()-mask.Rect.Dy())/2))
	for y := range mask.Rect.Dy() {
		row := canvas.Y[(off.Y+y)*canvas.YStride+off.X:]
		for x := range mask.Rect.Dx() {
			a := int(mask.Pix[y*mask.Stride+x])
			if a == 0 {
				continue
			}
			row[x] = byte((int(row[x])*(255-a) + placeholderText*a) / 255)
		}
	}
}

// drawable returns s, composed (NFC: "e" and a combining acute accent
// are "é", which the font has), without the characters the placeholder's
// font has no glyph for (and the spaces left at its ends), and whether
// none was left out.
func drawable(s string) (string, bool) {
	fontOnce.Do(func() { fontData, fontErr = opentype.Parse(gomedium.TTF) })
	if fontErr != nil {
		return s, true
	}
	s = norm.NFC.String(s)
	var buf sfnt.Buffer
	var b strings.Builder
	whole := true
	for _, r := range s {
		// A control character (NUL, ESC) may have a glyph, with no ink: a
		// name of them alone would be a blank tile, without its number.
		if g, err := fontData.GlyphIndex(&buf, r); err != nil || g == 0 || !unicode.IsGraphic(r) {
			whole = false
			continue
		}
		b.WriteRune(r)
	}
	if whole {
		return s, true
	}
	return strings.TrimSpace(b.String()), false
}

// textMask renders label as an alpha mask sized to fit a w×h tile (about a
// quarter of its height), or returns nil when the tile is too small. The
// mask holds all of the letters' ink, also where it reaches beyond their
// advance (an "f" at the end, a ring and an accent above an "A"). A label
// too long for the tile even in the smallest size is cut, with an ellipsis.
func textMask(label string, w, h int) *image.Alpha {
	fontOnce.Do(func() { fontData, fontErr = opentype.Parse(gomedium.TTF) })
	if fontErr != nil || label == "" || h < 16 || w < 16 {
		return nil
	}
	size := float64(h) / 4
	for ; size >= 6; size *= 0.8 {
		if mask, fits := renderLabel(label, size, w, h); fits {
			return mask
		}
	}
	// The smallest size: as much of the label as fits, and an ellipsis;
	// the longest such prefix is searched for by halves (a longer prefix
	// is never narrower), not one rune at a time.
	runes := []rune(label)
	var best *image.Alpha
	for lo, hi := 1, len(runes)-1; lo <= hi; {
		n := (lo + hi) / 2
		if mask, fits := renderLabel(strings.TrimSpace(string(runes[:n]))+"…", 6, w, h); fits {
			best, lo = mask, n+1
		} else {
			hi = n - 1
		}
	}
	return best
}

// renderLabel draws label at size into a mask holding its advance box and
// its ink, if that fits in 0.9 of w and in h.
func renderLabel(label string, size float64, w, h int) (*image.Alpha, bool) {
	face, err := opentype.NewFace(fontData, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, false
	}
	defer face.Close()
	ink, adv := font.BoundString(face, label)
	m := face.Metrics()
	x0, x1 := min(0, ink.Min.X.Floor()), max(adv.Ceil(), ink.Max.X.Ceil())
	y0, y1 := min(-m.Ascent.Ceil(), ink.Min.Y.Floor()), max(m.Descent.Ceil(), ink.Max.Y.Ceil())
	if x1-x0 > w*9/10 || y1-y0 > h {
		return nil, false
	}
	mask := image.NewAlpha(image.Rect(0, 0, x1-x0, y1-y0))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.P(-x0, -y0)}
	d.DrawString(label)
	return mask, true
}
