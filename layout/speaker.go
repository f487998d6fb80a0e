package layout

// SpeakerCells returns n cells where participant speaker is shown large.
//
// With one participant the cell is the whole canvas. Otherwise the speaker's
// cell is the full width of the canvas above a bottom strip about a fifth of
// the canvas height; the other n-1 participants, in participant order, get
// 16:9 thumbnails as tall as the strip, placed left to right and centred.
// When they do not fit in the width they shrink to canvas width / (n-1)
// (even), with a 16:9 height centred vertically in the strip. Thumbnails too
// small to hold 2x2 pixels are empty.
//
// A speaker index out of range is ignored: participant 0 is shown large.
// n <= 0 returns nil.
func SpeakerCells(n, speaker int, canvas Size) []Rect {
	if n <= 0 {
		return nil
	}
	cells := make([]Rect, n)
	c := usable(canvas)
	if c.W < 2 || c.H < 2 {
		return cells
	}
	if n == 1 {
		cells[0] = c.Rect()
		return cells
	}
	if speaker < 0 || speaker >= n {
		speaker = 0
	}
	strip := floorEven(c.H / 5)
	cells[speaker] = Rect{W: c.W, H: c.H - strip}
	t := thumbSize(n-1, strip, c.W)
	if t.Empty() {
		return cells
	}
	x := floorEven((c.W - (n-1)*t.W) / 2)
	y := c.H - strip + floorEven((strip-t.H)/2)
	for i := range cells {
		if i == speaker {
			continue
		}
		cells[i] = Rect{X: x, Y: y, W: t.W, H: t.H}
		x += t.W
	}
	return cells
}

// thumbSize returns the even size of each of k thumbnails in a strip of the
// given height and width, or an empty Size when they would be under 2x2.
func thumbSize(k, strip, width int) Size {
	w, h := floorEven(strip*16/9), strip
	if w > width/k {
		w = floorEven(width / k)
		h = floorEven(w * 9 / 16)
	}
	if w < 2 || h < 2 {
		return Size{}
	}
	return Size{W: w, H: h}
}
