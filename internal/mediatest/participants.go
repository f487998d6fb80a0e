package mediatest

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ParticipantsFile is the path of the participants table relative to the
// module root.
const ParticipantsFile = "testdata/participants.tsv"

var participantsHeader = []string{"id", "colour", "tone_hz", "name"}

// Participant describes one row of testdata/participants.tsv: who appears in
// the test clips, in which colour, with which tone.
type Participant struct {
	ID     int
	Name   string     // file name prefix of the participant's clips, e.g. "p01"
	RGB    color.RGBA // background colour of the participant's video
	ToneHz float64    // frequency of the participant's sine tone

	// Y, Cb and Cr are RGB converted as ffmpeg converts it to yuv420p
	// (BT.601, limited range): what a decoder of the clips sees.
	Y, Cb, Cr uint8
}

// Participants loads testdata/participants.tsv from the module root and
// fails the test if it cannot.
func Participants(t testing.TB) []Participant {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), ParticipantsFile))
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	defer f.Close()
	ps, err := ReadParticipants(f)
	if err != nil {
		t.Fatalf("mediatest: %s: %v", ParticipantsFile, err)
	}
	return ps
}

// ReadParticipants parses a participants table: a header line
// "id colour tone_hz name", then one tab-separated row per participant.
func ReadParticipants(r io.Reader) ([]Participant, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		return nil, errors.New("missing header")
	}
	if got := strings.Split(sc.Text(), "\t"); strings.Join(got, ",") != strings.Join(participantsHeader, ",") {
		return nil, fmt.Errorf("header is %q, want %q", got, participantsHeader)
	}
	var ps []Participant
	for line := 2; sc.Scan(); line++ {
		if sc.Text() == "" {
			continue
		}
		p, err := parseParticipant(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		ps = append(ps, p)
	}
	return ps, sc.Err()
}

func parseParticipant(line string) (Participant, error) {
	fields := strings.Split(line, "\t")
	if len(fields) != len(participantsHeader) {
		return Participant{}, fmt.Errorf("%d fields, want %d", len(fields), len(participantsHeader))
	}
	id, err := strconv.Atoi(fields[0])
	if err != nil {
		return Participant{}, fmt.Errorf("id: %w", err)
	}
	rgb, err := parseHexRGB(fields[1])
	if err != nil {
		return Participant{}, fmt.Errorf("colour: %w", err)
	}
	hz, err := strconv.ParseFloat(fields[2], 64)
	if err != nil || !(hz > 0) || math.IsInf(hz, 0) { // NaN is not above 0 either
		return Participant{}, fmt.Errorf("tone_hz %q is not a positive number", fields[2])
	}
	p := Participant{ID: id, Name: fields[3], RGB: rgb, ToneHz: hz}
	p.Y, p.Cb, p.Cr = YCbCrFromRGB(rgb.R, rgb.G, rgb.B)
	return p, nil
}

func parseHexRGB(s string) (color.RGBA, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || len(s) != 6 {
		return color.RGBA{}, fmt.Errorf("%q is not six hex digits", s)
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}, nil
}

// Nearest returns the participant whose colour is closest to (y, cb, cr) and
// that distance. It returns a zero Participant and +Inf for an empty list.
func Nearest(ps []Participant, y, cb, cr uint8) (Participant, float64) {
	best, dist := Participant{}, math.Inf(1)
	for _, p := range ps {
		if d := ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d < dist {
			best, dist = p, d
		}
	}
	return best, dist
}

// BackgroundRegion returns the part of a tile that shows only the flat
// participant colour in the committed clips, whatever the tile's size: left
// of the centred number and below the box that slides along the top.
func BackgroundRegion(tile image.Rectangle) image.Rectangle {
	w, h := tile.Dx(), tile.Dy()
	return image.Rect(
		tile.Min.X+w*5/100, tile.Min.Y+h*40/100,
		tile.Min.X+w*30/100, tile.Min.Y+h*60/100,
	)
}

// RepoRoot returns the module root: the nearest directory at or above the
// working directory that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("mediatest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// TestdataPath returns the absolute path of testdata/<name> at the module root.
func TestdataPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "testdata", filepath.FromSlash(name))
}
