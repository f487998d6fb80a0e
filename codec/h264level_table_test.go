package codec

import (
	"math"
	"testing"
)

// TestH264LevelTableA1: the limits of every level are Table A-1's
// (ITU-T H.264 (08/2021), MaxMBPS, MaxFS and MaxBR; MaxBR in units of
// 1000 bit/s, the VCL factor of the baseline profile), written out here
// apart from the table the code reads, and a level_idc between two levels
// takes the lower's.
func TestH264LevelTableA1(t *testing.T) {
	for _, c := range []struct {
		plid            string
		mbps, mbFS, kbr int
	}{
		{"42f00b", 1485, 99, 128}, {"42e00a", 1485, 99, 64}, {"42e00b", 3000, 396, 192},
		{"42e00c", 6000, 396, 384}, {"42e00d", 11880, 396, 768}, {"42e014", 11880, 396, 2000},
		{"42e015", 19800, 792, 4000}, {"42e016", 20250, 1620, 4000}, {"42e01e", 40500, 1620, 10000},
		{"42e01f", 108000, 3600, 14000}, {"42e020", 216000, 5120, 20000}, {"42e028", 245760, 8192, 20000},
		{"42e029", 245760, 8192, 50000}, {"42e02a", 522240, 8704, 50000}, {"42e032", 589824, 22080, 135000},
		{"42e033", 983040, 36864, 240000}, {"42e034", 2073600, 36864, 240000}, {"42e03c", 4177920, 139264, 240000},
		{"42e03d", 8355840, 139264, 480000}, {"42e03e", 16711680, 139264, 800000},
	} {
		l, err := ParseH264Level(c.plid)
		if err != nil {
			t.Fatal(err)
		}
		mbps, mbFS, _ := l.limits()
		if mbps != c.mbps || mbFS != c.mbFS || l.MaxBitrate() != c.kbr*1000 {
			t.Errorf("level %v (%s): %d macroblocks/s, %d a frame, %d bit/s; Table A-1 says %d, %d, %d000",
				l, c.plid, mbps, mbFS, l.MaxBitrate(), c.mbps, c.mbFS, c.kbr)
		}
		// The largest square picture at 1 fps: MaxFS alone, or sqrt(8 MaxFS) a side.
		side := min(int(math.Sqrt(float64(c.mbFS))), int(math.Sqrt(float64(8*c.mbFS))))
		if w, _ := l.Fit(4096, 4096, 1); w < 4096 && (w+15)/16 != side && (w+15)/16 != side-1 {
			t.Errorf("level %v: a 4096x4096 canvas at 1 fps fits as %d wide, want about %d macroblocks", l, w, side)
		}
	}
}

// TestH264LevelEdges: the rules of level 1b, the order of levels, and
// the width and height limits (sqrt(8 MaxFS) macroblocks) of canvases
// far wider or taller than high.
func TestH264LevelEdges(t *testing.T) {
	for plid, want := range map[string]H264Level{
		"42f00a": 10, // constraint_set3 with level_idc 10: not 1b
		"58100b": H264Level1b, "4d100b": H264Level1b, "42100b": H264Level1b,
		"640009": H264Level1b, "6e0009": H264Level1b,
	} {
		if got, err := ParseH264Level(plid); err != nil || got != want {
			t.Errorf("ParseH264Level(%q) = %v, %v; want %v", plid, got, err, want)
		}
	}
	order := []H264Level{10, H264Level1b, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62, 0}
	for i, l := range order {
		for j, m := range order {
			if got := l.Below(m); got != (i < j) {
				t.Errorf("%v.Below(%v) = %v", l, m, got)
			}
		}
	}
	for _, c := range []struct {
		l            H264Level
		w, h, fps    int
		wantW, wantH int
	}{
		{31, 4096, 480, 30, 2704, 316}, // 169 macroblocks wide, sqrt(8*3600)
		{31, 480, 4096, 30, 316, 2704}, // 169 high
		{10, 256, 4096, 30, 24, 384},   // 2x24 macroblocks: 48 of 49 a frame at 30 fps
		{10, 4096, 16, 30, 448, 16},    // 28 wide, sqrt(8*99)
		{10, 16, 4096, 30, 16, 448},    // 28 high
	} {
		if w, h := c.l.Fit(c.w, c.h, c.fps); w != c.wantW || h != c.wantH {
			t.Errorf("level %v: %dx%d at %d fps fits as %dx%d, want %dx%d", c.l, c.w, c.h, c.fps, w, h, c.wantW, c.wantH)
		}
	}
}

// TestH264LevelValid: the standard's levels are valid, the numbers
// between them and the zero level not.
func TestH264LevelValid(t *testing.T) {
	valid := map[H264Level]bool{}
	for _, l := range []H264Level{9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61, 62} {
		valid[l] = true
	}
	for l := H264Level(-1); l <= 300; l++ {
		if l.Valid() != valid[l] {
			t.Errorf("level %d: valid %v, want %v", l, l.Valid(), valid[l])
		}
	}
}
