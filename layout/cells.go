package layout

// Cells returns exactly n cells for mode, one per participant in participant
// order, on canvas. speaker is the participant shown large in Speaker mode
// (see SpeakerCells); Grid and unknown modes ignore it. n <= 0 returns nil.
//
// Cells are even, inside the canvas and never overlap. A participant that
// cannot be given at least 2x2 pixels gets an empty Rect at the origin.
func Cells(mode Mode, n, speaker int, canvas Size) []Rect {
	if mode == Speaker {
		return SpeakerCells(n, speaker, canvas)
	}
	return GridCells(n, canvas)
}
