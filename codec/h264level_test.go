package codec

import (
	"math"
	"testing"
)

func TestParseH264Level(t *testing.T) {
	for _, c := range []struct {
		plid string
		want H264Level
		err  bool
	}{
		{"42e01f", 31, false}, // Chrome's constrained baseline 3.1
		{"42001f", 31, false},
		{"640c34", 52, false},
		{"4d001e", 30, false},
		{"42E01F", 31, false}, // hex digits in either case
		{"42f00b", H264Level1b, false},
		{"4d100b", H264Level1b, false},
		{"42e00b", 11, false}, // constraint_set3 not set: level 1.1
		{"64100b", 11, false}, // high profile: constraint_set3 is not 1b
		{"640009", H264Level1b, false},
		{"42e00a", 10, false},
		{"42e01c", 22, false}, // 2.8 is no level: the one below
		{"42e03c", 60, false},
		{"42e0ff", 62, false},
		{"42e000", 0, true},
		{"42e008", 0, true},
		{"42e01", 0, true},
		{"42e01fa", 0, true},
		{"42g01f", 0, true},
		{"", 0, true},
	} {
		got, err := ParseH264Level(c.plid)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("ParseH264Level(%q) = %v, %v; want %v, error %v", c.plid, got, err, c.want, c.err)
		}
	}
	if s := H264Level(31).String(); s != "3.1" {
		t.Errorf("level 31 reads %q", s)
	}
	if s := H264Level1b.String(); s != "1b" {
		t.Errorf("level 1b reads %q", s)
	}
}

func TestH264LevelFit(t *testing.T) {
	for _, c := range []struct {
		l            H264Level
		w, h, fps    int
		wantW, wantH int
	}{
		{0, 1920, 1080, 60, 1920, 1080},  // no level: no limit
		{31, 1280, 720, 30, 1280, 720},   // the default canvas is 3.1 exactly
		{40, 1920, 1080, 30, 1920, 1080}, // 8,160 macroblocks of 8,192
		{31, 1920, 1080, 30, 1280, 720},  // 3,600 of 3,600
		{30, 1280, 720, 30, 768, 432},    // 1,350 a frame at 30 fps: 48x27
		{31, 1280, 720, 60, 896, 504},    // 1,800 a frame at 60 fps: 56x32
		{30, 640, 360, 30, 640, 360},
		{13, 640, 360, 30, 416, 234},  // 396 a frame, 11,880 a second: 26x15
		{30, 720, 1280, 30, 432, 768}, // portrait
		{12, 1280, 720, 30, 288, 162}, // 200 a frame: 18x11
		{10, 1280, 720, 30, 142, 80},  // 49 a frame: 9x5
	} {
		w, h := c.l.Fit(c.w, c.h, c.fps)
		if w != c.wantW || h != c.wantH {
			t.Errorf("level %v: %dx%d at %d fps fits as %dx%d, want %dx%d", c.l, c.w, c.h, c.fps, w, h, c.wantW, c.wantH)
		}
	}
}

// TestH264LevelFitIsTheLargest: over every level and many canvases, the
// size found fits the level, keeps the canvas's shape, is even, and the
// next size up (two pixels more of the longer side) does not fit.
func TestH264LevelFitIsTheLargest(t *testing.T) {
	fits := func(l H264Level, w, h, fps int) bool {
		mbps, mbFS, _ := l.limits()
		side := int(math.Sqrt(float64(8 * mbFS)))
		mw, mh := (w+15)/16, (h+15)/16
		return mw <= side && mh <= side && mw*mh <= mbFS && mw*mh*fps <= mbps
	}
	for _, row := range h264Limits {
		l := row.level
		for _, s := range [][2]int{{1280, 720}, {1920, 1080}, {3840, 2160}, {720, 1280}, {322, 180}, {1000, 1000}, {4096, 256}} {
			for _, fps := range []int{15, 30, 60} {
				w, h := l.Fit(s[0], s[1], fps)
				if w%2 != 0 || h%2 != 0 || w > s[0] || h > s[1] {
					t.Errorf("level %v, %v at %d: %dx%d", l, s, fps, w, h)
					continue
				}
				if !fits(l, w, h, fps) {
					t.Errorf("level %v, %v at %d: %dx%d does not fit", l, s, fps, w, h)
				}
				if w == s[0] && h == s[1] {
					continue
				}
				if a, b := float64(w)/float64(h), float64(s[0])/float64(s[1]); math.Abs(a/b-1) > 0.1 {
					t.Errorf("level %v, %v at %d: %dx%d has another shape", l, s, fps, w, h)
				}
				W, H := w+2, evenRound(float64(w+2)*float64(s[1])/float64(s[0]))
				if s[1] > s[0] {
					H, W = h+2, evenRound(float64(h+2)*float64(s[0])/float64(s[1]))
				}
				if fits(l, W, H, fps) && W <= s[0] && H <= s[1] {
					t.Errorf("level %v, %v at %d: %dx%d, but %dx%d fits too", l, s, fps, w, h, W, H)
				}
			}
		}
	}
}

func TestH264LevelMaxBitrate(t *testing.T) {
	for l, want := range map[H264Level]int{0: 0, 31: 14_000_000, 30: 10_000_000, H264Level1b: 128_000, 10: 64_000, 33: 20_000_000} {
		if got := l.MaxBitrate(); got != want {
			t.Errorf("level %v: %d bit/s, want %d", l, got, want)
		}
	}
}
