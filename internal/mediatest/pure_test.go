package mediatest

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tolerances of the pure tests.
const (
	// toneExactDB: a clean generated sine must read its own level this
	// closely. Only 16-bit rounding and the window's edges disturb it.
	toneExactDB = 0.2
	// toneRejectDB: a tone 100 Hz away must read this far below the tone
	// that is present (Blackman-Harris side lobes are below −92 dB).
	toneRejectDB = -60
	// minParticipantDistance: two participants' colours must be this far
	// apart in Y'CbCr so that a colour check (which tolerates ~20 of codec
	// and scaling error) cannot take one for the other.
	minParticipantDistance = 40
	// minChroma: a participant colour must be this far from grey in Cb/Cr,
	// because the mixer paints placeholders grey and letterboxes black.
	minChroma = 30
	// Participant luma must stay clear of black and white.
	minLuma, maxLuma = 40, 200
	// minRoundTripPSNR: a golden frame stored as PNG and read back must be
	// this close to the original for PSNR thresholds on goldens to mean
	// anything (8-bit RGB rounding alone costs about 50 dB).
	minRoundTripPSNR = 45
)

// sine returns interleaved 16-bit PCM with the same sine on every channel.
func sine(hz, amplitude float64, rate, channels int, d time.Duration) []int16 {
	n := int(d * time.Duration(rate) / time.Second)
	pcm := make([]int16, n*channels)
	for i := range n {
		v := int16(math.Round(amplitude * fullScale * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)+0.3)))
		for c := range channels {
			pcm[i*channels+c] = v
		}
	}
	return pcm
}

func TestToneLevel(t *testing.T) {
	cases := []struct {
		name     string
		hz, dbfs float64
		from, to time.Duration
	}{
		{"440 Hz at -24 dBFS", 440, -24, 0, 0},
		{"off-bin 1234.5 Hz at -24 dBFS", 1234.5, -24, 100 * time.Millisecond, 600 * time.Millisecond},
		{"320 Hz at -6 dBFS, 100 ms", 320, -6, 200 * time.Millisecond, 300 * time.Millisecond},
		{"2600 Hz at -40 dBFS", 2600, -40, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pcm := sine(c.hz, math.Pow(10, c.dbfs/20), AudioRate, AudioChannels, time.Second)
			for ch := range AudioChannels {
				got := ToneLevel(pcm, AudioChannels, ch, AudioRate, c.hz, c.from, c.to)
				if math.Abs(got-c.dbfs) > toneExactDB {
					t.Errorf("channel %d: level %.3f dBFS, want %.1f ± %.1f", ch, got, c.dbfs, toneExactDB)
				}
				for _, off := range []float64{-100, 100} {
					other := ToneLevel(pcm, AudioChannels, ch, AudioRate, c.hz+off, c.from, c.to)
					if other-got > toneRejectDB {
						t.Errorf("channel %d: %+g Hz away reads %.1f dB relative, want < %d", ch, off, other-got, toneRejectDB)
					}
				}
			}
		})
	}
}

func TestToneLevelDegenerate(t *testing.T) {
	pcm := sine(440, 0.5, AudioRate, 2, 10*time.Millisecond)
	cases := []struct {
		name string
		got  float64
	}{
		{"silence", ToneLevel(make([]int16, 2*AudioRate), 2, 0, AudioRate, 440, 0, 0)},
		{"empty", ToneLevel(nil, 2, 0, AudioRate, 440, 0, 0)},
		{"range after end", ToneLevel(pcm, 2, 0, AudioRate, 440, time.Second, 2*time.Second)},
		{"bad channel", ToneLevel(pcm, 2, 2, AudioRate, 440, 0, 0)},
	}
	for _, c := range cases {
		if !math.IsInf(c.got, -1) {
			t.Errorf("%s: level %v, want -Inf", c.name, c.got)
		}
	}
}

// flat returns a 4:2:0 picture of one colour.
func flat(w, h int, y, cb, cr uint8) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	fill(img.Y, y)
	fill(img.Cb, cb)
	fill(img.Cr, cr)
	return img
}

func fill(s []uint8, v uint8) {
	for i := range s {
		s[i] = v
	}
}

func TestPSNR(t *testing.T) {
	a := flat(64, 36, 100, 110, 120)
	offByTwo := flat(64, 36, 102, 112, 122)
	lumaOnly := flat(64, 36, 110, 110, 120)
	cases := []struct {
		name string
		a, b *image.YCbCr
		want float64
	}{
		{"identical", a, flat(64, 36, 100, 110, 120), math.Inf(1)},
		// Every sample off by 2: MSE 4.
		{"off by two", a, offByTwo, 10 * math.Log10(255*255/4.0)},
		// Only Y off by 10: MSE 100 over 4 of every 6 samples.
		{"luma only", a, lumaOnly, 10 * math.Log10(255*255/(100*4.0/6))},
		{"odd size", flat(7, 5, 1, 2, 3), flat(7, 5, 1, 2, 3), math.Inf(1)},
		{"different sizes", a, flat(64, 38, 100, 110, 120), 0},
		{"nil", a, nil, 0},
		{"empty", flat(0, 0, 0, 0, 0), flat(0, 0, 0, 0, 0), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PSNR(c.a, c.b)
			if got != c.want && math.Abs(got-c.want) > 1e-9 {
				t.Errorf("PSNR = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPSNRSubImage(t *testing.T) {
	big := flat(64, 64, 50, 60, 70)
	sub := big.SubImage(image.Rect(16, 16, 48, 48)).(*image.YCbCr)
	if got := PSNR(sub, flat(32, 32, 50, 60, 70)); !math.IsInf(got, 1) {
		t.Errorf("PSNR of a sub-image against its copy = %v, want +Inf", got)
	}
}

func TestMedianColour(t *testing.T) {
	img := flat(40, 20, 81, 90, 240)
	// A third of the picture in another colour must not move the median.
	for y := range 20 {
		for x := range 13 {
			img.Y[img.YOffset(x, y)] = 200
			c := img.COffset(x, y)
			img.Cb[c], img.Cr[c] = 16, 16
		}
	}
	cases := []struct {
		name      string
		r         image.Rectangle
		y, cb, cr uint8
	}{
		{"whole", img.Rect, 81, 90, 240},
		{"inside the patch", image.Rect(1, 3, 9, 17), 200, 16, 16},
		{"odd bounds", image.Rect(11, 1, 35, 18), 81, 90, 240},
		{"partly outside", image.Rect(20, 10, 100, 100), 81, 90, 240},
		{"outside", image.Rect(50, 50, 60, 60), 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y, cb, cr := MedianColour(img, c.r)
			if y != c.y || cb != c.cb || cr != c.cr {
				t.Errorf("MedianColour = (%d, %d, %d), want (%d, %d, %d)", y, cb, cr, c.y, c.cb, c.cr)
			}
		})
	}
}

func TestColourDistance(t *testing.T) {
	if got := ColourDistance(10, 20, 30, 13, 24, 30); got != 5 {
		t.Errorf("ColourDistance = %v, want 5", got)
	}
	if got := ColourDistance(200, 16, 240, 200, 16, 240); got != 0 {
		t.Errorf("ColourDistance of a colour to itself = %v, want 0", got)
	}
}

func TestYCbCrFromRGB(t *testing.T) {
	// Reference values: what ffmpeg's color source gives in yuv420p.
	cases := []struct {
		rgb       color.RGBA
		y, cb, cr uint8
	}{
		{color.RGBA{0, 0, 0, 255}, 16, 128, 128},
		{color.RGBA{255, 255, 255, 255}, 235, 128, 128},
		{color.RGBA{255, 0, 0, 255}, 81, 90, 240},
		{color.RGBA{0, 255, 0, 255}, 145, 54, 34},
		{color.RGBA{0, 0, 255, 255}, 41, 240, 110},
		{color.RGBA{0xd0, 0x30, 0x30, 255}, 98, 104, 198},
	}
	for _, c := range cases {
		y, cb, cr := YCbCrFromRGB(c.rgb.R, c.rgb.G, c.rgb.B)
		if y != c.y || cb != c.cb || cr != c.cr {
			t.Errorf("YCbCrFromRGB(%v) = (%d, %d, %d), want (%d, %d, %d)", c.rgb, y, cb, cr, c.y, c.cb, c.cr)
		}
		r, g, b := RGBFromYCbCr(c.y, c.cb, c.cr)
		if absDiff(r, c.rgb.R) > 2 || absDiff(g, c.rgb.G) > 2 || absDiff(b, c.rgb.B) > 2 {
			t.Errorf("RGBFromYCbCr(%d, %d, %d) = (%d, %d, %d), want about %v", c.y, c.cb, c.cr, r, g, b, c.rgb)
		}
	}
}

func absDiff(a, b uint8) int {
	return int(math.Abs(float64(a) - float64(b)))
}

// gradient is a busy synthetic picture that stays inside the RGB cube.
func gradient(w, h int) *image.YCbCr {
	rgb := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			rgb.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*7 + y*13) % 256), 255})
		}
	}
	return FromRGBA(rgb)
}

func TestPNGRoundTrip(t *testing.T) {
	orig := gradient(161, 91)
	path := filepath.Join(t.TempDir(), "golden.png")
	if err := WritePNG(path, orig); err != nil {
		t.Fatal(err)
	}
	back, err := ReadPNG(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := PSNR(orig, back); got < minRoundTripPSNR {
		t.Errorf("PSNR after PNG round trip = %.1f dB, want >= %d", got, minRoundTripPSNR)
	}
	if _, err := ReadPNG(filepath.Join(t.TempDir(), "missing.png")); err == nil {
		t.Error("ReadPNG of a missing file succeeded")
	}
}

func TestFrameAt(t *testing.T) {
	frames := []*image.YCbCr{flat(2, 2, 1, 0, 0), flat(2, 2, 2, 0, 0), flat(2, 2, 3, 0, 0)}
	pts := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	cases := []struct {
		t    time.Duration
		want uint8 // Y of the expected frame
	}{{0, 1}, {100 * time.Millisecond, 1}, {199 * time.Millisecond, 1}, {200 * time.Millisecond, 2}, {time.Hour, 3}}
	for _, c := range cases {
		if got := FrameAt(frames, pts, c.t); got.Y[0] != c.want {
			t.Errorf("FrameAt(%v) is frame %d, want %d", c.t, got.Y[0], c.want)
		}
	}
	if FrameAt(nil, nil, 0) != nil {
		t.Error("FrameAt with no frames is not nil")
	}
}

func TestReadParticipants(t *testing.T) {
	const header = "id\tcolour\ttone_hz\tname\n"
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"good", header + "1\tD03030\t440\tp01\n2\t209040\t700\tp02\n", true},
		{"no header", "1\tD03030\t440\tp01\n", false},
		{"empty", "", false},
		{"short colour", header + "1\tD0303\t440\tp01\n", false},
		{"not hex", header + "1\tD0303G\t440\tp01\n", false},
		{"bad tone", header + "1\tD03030\t-5\tp01\n", false},
		{"missing field", header + "1\tD03030\t440\n", false},
		{"bad id", header + "x\tD03030\t440\tp01\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := ReadParticipants(strings.NewReader(c.in))
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if c.ok && (len(ps) != 2 || ps[0].RGB != (color.RGBA{0xd0, 0x30, 0x30, 0xff}) || ps[1].ToneHz != 700 || ps[1].Name != "p02") {
				t.Errorf("parsed %+v", ps)
			}
		})
	}
}

// Tones in participant order, as chosen for the project: no tone is a
// harmonic, sum or difference of two others.
var wantTones = []float64{440, 700, 1060, 1230, 1440, 1840, 1970, 2330, 2600, 320, 570, 830}

func TestParticipantsTable(t *testing.T) {
	ps := Participants(t)
	if len(ps) != len(wantTones) {
		t.Fatalf("%d participants, want %d", len(ps), len(wantTones))
	}
	for i, p := range ps {
		if p.ID != i+1 || p.Name != participantName(i+1) || p.ToneHz != wantTones[i] {
			t.Errorf("row %d = id %d name %q tone %g, want id %d name %q tone %g",
				i+1, p.ID, p.Name, p.ToneHz, i+1, participantName(i+1), wantTones[i])
		}
		if chroma := ColourDistance(0, p.Cb, p.Cr, 0, cZero, cZero); chroma < minChroma {
			t.Errorf("%s: colour %v is too grey (chroma %.0f < %d)", p.Name, p.RGB, chroma, minChroma)
		}
		if p.Y < minLuma || p.Y > maxLuma {
			t.Errorf("%s: colour %v has luma %d, want %d..%d", p.Name, p.RGB, p.Y, minLuma, maxLuma)
		}
		for _, q := range ps[i+1:] {
			if d := ColourDistance(p.Y, p.Cb, p.Cr, q.Y, q.Cb, q.Cr); d <= minParticipantDistance {
				t.Errorf("%s and %s are %.1f apart in Y'CbCr, want > %d", p.Name, q.Name, d, minParticipantDistance)
			}
		}
	}
}

func participantName(id int) string {
	return "p" + string(rune('0'+id/10)) + string(rune('0'+id%10))
}

func TestNearest(t *testing.T) {
	ps := Participants(t)
	for _, p := range ps {
		if got, d := Nearest(ps, p.Y, p.Cb, p.Cr); got.ID != p.ID || d != 0 {
			t.Errorf("Nearest(%s's colour) = %s at %.1f", p.Name, got.Name, d)
		}
	}
	if _, d := Nearest(nil, 0, 0, 0); !math.IsInf(d, 1) {
		t.Errorf("Nearest of no participants: distance %v, want +Inf", d)
	}
}

func TestWebMElements(t *testing.T) {
	// EBML header, Segment of unknown size holding a SeekHead that names a
	// Cluster ID, two Clusters, Cues, then a Cluster cut short.
	elem := func(id []byte, body ...byte) []byte {
		return append(append(append([]byte{}, id...), 0x80|byte(len(body))), body...)
	}
	cluster := []byte{0x1f, 0x43, 0xb6, 0x75}
	var f []byte
	f = append(f, elem([]byte{0x1a, 0x45, 0xdf, 0xa3}, 1, 2)...)
	f = append(f, 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	f = append(f, elem([]byte{0x11, 0x4d, 0x9b, 0x74}, cluster...)...) // SeekHead
	f = append(f, elem(cluster, 1, 2, 3)...)
	f = append(f, elem(cluster, 4)...)
	f = append(f, elem([]byte{0x1c, 0x53, 0xbb, 0x6b}, 9)...)
	f = append(f, elem(cluster, 1, 2, 3, 4, 5)[:5]...)
	c := WebMElements(f)
	if c[EBMLCluster] != 2 || c[EBMLCues] != 1 {
		t.Errorf("counts %v: want 2 whole clusters and 1 cues", c)
	}

	// Clusters of unknown size, as a streaming writer leaves them: each
	// runs to the next top-level element; the Cues after them are seen.
	// One whose last child is cut short is not whole.
	unknown := func(children ...byte) []byte {
		return append(append(append([]byte{}, cluster...), 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), children...)
	}
	var g []byte
	g = append(g, elem([]byte{0x1a, 0x45, 0xdf, 0xa3}, 1, 2)...)
	g = append(g, 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	g = append(g, unknown(append(elem([]byte{0xe7}, 0), elem([]byte{0xa3}, 1, 2, 3)...)...)...) // Timecode, SimpleBlock
	g = append(g, unknown(elem([]byte{0xa3}, 4, 5)...)...)
	g = append(g, elem([]byte{0x1c, 0x53, 0xbb, 0x6b}, 9)...)
	if c := WebMElements(g); c[EBMLCluster] != 2 || c[EBMLCues] != 1 {
		t.Errorf("unknown sizes: counts %v, want 2 clusters and 1 cues", c)
	}
	g = append(g, unknown(elem([]byte{0xa3}, 1, 2, 3, 4)[:4]...)...)
	if c := WebMElements(g); c[EBMLCluster] != 2 || c[EBMLCues] != 1 {
		t.Errorf("a last cluster cut short: counts %v, want the 2 whole ones and 1 cues", c)
	}
}

func TestWebMBlocks(t *testing.T) {
	elem := func(id []byte, body ...byte) []byte {
		return append(append(append([]byte{}, id...), 0x80|byte(len(body))), body...)
	}
	cluster := []byte{0x1f, 0x43, 0xb6, 0x75}
	timecode := func(ms byte) []byte { return elem([]byte{0xe7}, ms) }
	// track 1, relative time rel (a signed 16-bit), flags, one byte of frame
	block := func(id byte, track byte, rel int16, flags byte) []byte {
		return elem([]byte{id}, 0x80|track, byte(uint16(rel)>>8), byte(rel), flags, 0x55)
	}
	var f []byte
	f = append(f, elem([]byte{0x1a, 0x45, 0xdf, 0xa3}, 1, 2)...)
	f = append(f, 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	f = append(f, elem(cluster, slices.Concat(timecode(100), block(0xa3, 1, 0, 0x80), block(0xa3, 2, -5, 0))...)...)
	f = append(f, elem(cluster, slices.Concat(timecode(120), elem([]byte{0xa0}, block(0xa1, 2, 7, 0)...))...)...)
	got := WebMBlocks(f)
	want := []WebMBlock{
		{Cluster: 0, Timecode: 100, Track: 1, At: 100, Key: true, Data: []byte{0x55}},
		{Cluster: 0, Timecode: 100, Track: 2, At: 95, Data: []byte{0x55}},
		{Cluster: 1, Timecode: 120, Track: 2, At: 127, Data: []byte{0x55}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d blocks %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Cluster != w.Cluster || g.Timecode != w.Timecode || g.Track != w.Track || g.At != w.At || g.Key != w.Key || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("block %d: %+v, want %+v", i, g, w)
		}
	}
}
