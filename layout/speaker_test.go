package layout

import (
	"fmt"
	"math"
	"testing"
)

func TestSpeaker(t *testing.T) {
	cases := goldenCases()
	cases = append(cases,
		goldenCase{name: "1280x720_n05_s2", n: 5, speaker: 2, canvas: DefaultCanvas},
		goldenCase{name: "1280x720_n08_s7", n: 8, speaker: 7, canvas: DefaultCanvas},
		goldenCase{name: "720x1280_n04_s3", n: 4, speaker: 3, canvas: Size{W: 720, H: 1280}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cells := SpeakerCells(tc.n, tc.speaker, tc.canvas)
			if err := checkCells(cells, tc.n, tc.canvas); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, formatCells(cells))
		})
	}
}

// TestSpeakerShape checks the speaker layout's structure on a few canvases:
// the speaker's cell on top, equal thumbnails left to right in participant
// order below it, inside the bottom strip.
func TestSpeakerShape(t *testing.T) {
	for _, canvas := range []Size{DefaultCanvas, {W: 640, H: 480}, {W: 720, H: 1280}, {W: 322, H: 180}, {W: 1281, H: 721}} {
		for n := 2; n <= 30; n++ {
			for _, speaker := range []int{0, n / 2, n - 1} {
				t.Run(fmt.Sprintf("%v_n%d_s%d", canvas, n, speaker), func(t *testing.T) {
					cells := SpeakerCells(n, speaker, canvas)
					w, h := canvas.W&^1, canvas.H&^1
					strip := (h / 5) &^ 1
					if want := (Rect{W: w, H: h - strip}); cells[speaker] != want {
						t.Fatalf("speaker cell %v, want %v", cells[speaker], want)
					}
					var prev *Rect
					for i := range cells {
						if i == speaker {
							continue
						}
						c := cells[i]
						if c.Empty() {
							t.Fatalf("thumbnail %d is empty", i)
						}
						if c.Y < h-strip || c.Y+c.H > h {
							t.Fatalf("thumbnail %d %v is outside the strip", i, c)
						}
						if c.H > strip || c.W*9 > c.H*16+32 || c.W*9 < c.H*16-32 {
							t.Fatalf("thumbnail %d %v is not a 16:9 thumbnail of the strip", i, c)
						}
						if prev != nil && (c.X != prev.X+prev.W || c.Size() != prev.Size() || c.Y != prev.Y) {
							t.Fatalf("thumbnail %d %v does not follow %v", i, c, *prev)
						}
						prev = &cells[i]
					}
				})
			}
		}
	}
}

func TestSpeakerOutOfRange(t *testing.T) {
	cases := []struct {
		name    string
		speaker int
	}{
		{name: "negative", speaker: -1},
		{name: "equal to n", speaker: 4},
		{name: "far beyond", speaker: math.MaxInt},
	}
	want := SpeakerCells(4, 0, DefaultCanvas)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := SpeakerCells(4, tc.speaker, DefaultCanvas)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("speaker %d: got %v, want participant 0 large %v", tc.speaker, got, want)
			}
		})
	}
}
