package layout

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// formatCells renders cells one per line as "i x y w h".
func formatCells(cells []Rect) []byte {
	var b bytes.Buffer
	for i, c := range cells {
		fmt.Fprintf(&b, "%d %d %d %d %d\n", i, c.X, c.Y, c.W, c.H)
	}
	return b.Bytes()
}

// checkGolden compares got with testdata/<test name>.golden, or rewrites
// that file when -update is set.
func checkGolden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./layout -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run `go test ./layout -update` if the change is intended):\n%s",
			path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ between want and got, at most 10.
func lineDiff(want, got string) string {
	w := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	g := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	var b strings.Builder
	shown := 0
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		if shown == 10 {
			b.WriteString("...\n")
			break
		}
		fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		shown++
	}
	fmt.Fprintf(&b, "(%d lines wanted, %d got)", len(w), len(g))
	return b.String()
}

// goldenCase is one canvas and participant count rendered to a golden file.
type goldenCase struct {
	name    string
	n       int
	speaker int
	canvas  Size
}

// goldenCases returns the cases of TestGrid and TestSpeaker: n = 1..26 on
// the default canvas and a few n on 640x480, portrait 720x1280 and 322x180.
func goldenCases() []goldenCase {
	var cases []goldenCase
	add := func(canvas Size, ns ...int) {
		for _, n := range ns {
			cases = append(cases, goldenCase{
				name:   fmt.Sprintf("%dx%d_n%02d", canvas.W, canvas.H, n),
				n:      n,
				canvas: canvas,
			})
		}
	}
	for n := 1; n <= 26; n++ {
		add(DefaultCanvas, n)
	}
	add(Size{W: 640, H: 480}, 1, 2, 3, 5, 7, 10, 16)
	add(Size{W: 720, H: 1280}, 1, 2, 3, 4, 5, 7, 10)
	add(Size{W: 322, H: 180}, 1, 2, 3, 4, 9, 16, 26)
	return cases
}
