package layout

import (
	"fmt"
	"math"
	"testing"
)

// propertyCanvases are the canvases the property tests sweep: usual ones,
// odd, portrait, tiny, empty, negative and oversized.
var propertyCanvases = []Size{
	DefaultCanvas, {W: 1920, H: 1080}, {W: 640, H: 480}, {W: 720, H: 1280},
	{W: 322, H: 180}, {W: 1281, H: 721}, {W: 321, H: 181}, {W: 1000, H: 10},
	{W: 16, H: 9}, {W: 4, H: 4}, {W: 3, H: 3}, {W: 2, H: 2}, {W: 1, H: 1},
	{}, {W: -5, H: 10}, {W: 10, H: -1}, {W: MaxDim + 5, H: 720},
	{W: math.MaxInt, H: math.MaxInt},
}

// propertyCounts are the participant counts the property tests sweep.
func propertyCounts() []int {
	ns := []int{-1, 0}
	for n := 1; n <= 130; n++ {
		ns = append(ns, n)
	}
	return append(ns, 257, 1000, 5000)
}

func TestCellsProperties(t *testing.T) {
	for _, mode := range []Mode{Grid, Speaker, Mode(9)} {
		for _, canvas := range propertyCanvases {
			t.Run(fmt.Sprintf("%v_%v", mode, canvas), func(t *testing.T) {
				for _, n := range propertyCounts() {
					for _, speaker := range []int{-1, 0, n / 2, n - 1, n, n + 7} {
						cells := Cells(mode, n, speaker, canvas)
						if err := checkCells(cells, n, canvas); err != nil {
							t.Fatalf("n=%d speaker=%d: %v", n, speaker, err)
						}
					}
				}
			})
		}
	}
}

// TestCellsNonEmpty checks that usual canvases give every participant a
// real cell for counts an MCU can meet.
func TestCellsNonEmpty(t *testing.T) {
	for _, mode := range []Mode{Grid, Speaker} {
		for _, canvas := range []Size{DefaultCanvas, {W: 640, H: 480}, {W: 720, H: 1280}} {
			for n := 1; n <= 100; n++ {
				for i, c := range Cells(mode, n, 0, canvas) {
					if c.Empty() {
						t.Fatalf("%v %v n=%d: cell %d is empty", mode, canvas, n, i)
					}
				}
			}
		}
	}
}

func TestCellsMode(t *testing.T) {
	cases := []struct {
		name string
		mode Mode
		want []Rect
	}{
		{name: "grid", mode: Grid, want: GridCells(3, DefaultCanvas)},
		{name: "speaker", mode: Speaker, want: SpeakerCells(3, 1, DefaultCanvas)},
		{name: "unknown is grid", mode: Mode(-2), want: GridCells(3, DefaultCanvas)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Cells(tc.mode, 3, 1, DefaultCanvas)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCellsHugeN(t *testing.T) {
	const n = 100_000
	for _, mode := range []Mode{Grid, Speaker} {
		cells := Cells(mode, n, n-1, DefaultCanvas)
		if err := checkCells(cells, n, DefaultCanvas); err != nil {
			t.Errorf("%v: %v", mode, err)
		}
	}
}
