package codec

import (
	"fmt"
	"math"
	"strconv"
)

// H264Level is an H.264 level as level_idc writes it: 31 is level 3.1.
// Level 1b is 9 (as in the high profiles' SPS). The zero value is no
// level: no limit.
type H264Level int

// H264Level1b is level 1b.
const H264Level1b H264Level = 9

// h264Limits are the limits of Table A-1 of the H.264 standard that bound
// what the mix sends: macroblocks per second (MaxMBPS) and per frame
// (MaxFS), and the bitrate in kbit/s (MaxBR, of the VCL in the baseline
// profile).
var h264Limits = []struct {
	level           H264Level
	mbps, mbFS, kbr int
}{
	{9, 1485, 99, 128}, {10, 1485, 99, 64}, {11, 3000, 396, 192}, {12, 6000, 396, 384},
	{13, 11880, 396, 768}, {20, 11880, 396, 2000}, {21, 19800, 792, 4000}, {22, 20250, 1620, 4000},
	{30, 40500, 1620, 10000}, {31, 108000, 3600, 14000}, {32, 216000, 5120, 20000},
	{40, 245760, 8192, 20000}, {41, 245760, 8192, 50000}, {42, 522240, 8704, 50000},
	{50, 589824, 22080, 135000}, {51, 983040, 36864, 240000}, {52, 2073600, 36864, 240000},
	{60, 4177920, 139264, 240000}, {61, 8355840, 139264, 480000}, {62, 16711680, 139264, 800000},
}

// limits returns the limits of level l: of the highest level of the
// table not above it (the lowest if none), or no limit for the zero
// level (the highest row).
func (l H264Level) limits() (mbps, mbFS, kbr int) {
	e := h264Limits[len(h264Limits)-1]
	if l != 0 {
		e = h264Limits[0]
		for _, r := range h264Limits {
			if r.level <= l {
				e = r
			}
		}
	}
	return e.mbps, e.mbFS, e.kbr
}

// Valid reports whether l is a level of the standard (the zero level,
// no limit, is not one).
func (l H264Level) Valid() bool {
	for _, e := range h264Limits {
		if e.level == l {
			return true
		}
	}
	return false
}

// MaxBitrate is the most bits per second a stream of level l may carry
// (0 for the zero level: no limit).
func (l H264Level) MaxBitrate() int {
	if l == 0 {
		return 0
	}
	_, _, kbr := l.limits()
	return kbr * 1000
}

// CapBitrate is bitrate, or level l's MaxBitrate where that is lower (the
// zero level: bitrate).
func (l H264Level) CapBitrate(bitrate int) int {
	if mb := l.MaxBitrate(); mb > 0 {
		return min(bitrate, mb)
	}
	return bitrate
}

// ParseH264Level reads the level of an SDP profile-level-id (RFC 6184
// 8.1: six hex digits, profile_idc, the constraint flags, level_idc), the
// level a receiver that offers it decodes up to. Level 1b is level_idc 11
// with constraint_set3_flag in the baseline, main and extended profiles.
// A level_idc between two levels of the standard counts as the lower.
func ParseH264Level(profileLevelID string) (H264Level, error) {
	if len(profileLevelID) != 6 {
		return 0, fmt.Errorf("codec: profile-level-id %q: want 6 hex digits", profileLevelID)
	}
	v, err := strconv.ParseUint(profileLevelID, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("codec: profile-level-id %q: want 6 hex digits", profileLevelID)
	}
	profile, flags, idc := v>>16, v>>8&0xff, H264Level(v&0xff)
	if idc == 11 && flags&0x10 != 0 && (profile == 66 || profile == 77 || profile == 88) {
		return H264Level1b, nil
	}
	if idc < H264Level1b {
		return 0, fmt.Errorf("codec: profile-level-id %q: level_idc %d is no level", profileLevelID, idc)
	}
	l := h264Limits[0].level
	for _, e := range h264Limits {
		if e.level <= idc {
			l = e.level
		}
	}
	return l, nil
}

// Below reports whether l is a lower level than m: level 1b is between
// 1.0 and 1.1 (128 kbit/s against 64 and 192). The zero level, no limit,
// is above every other.
func (l H264Level) Below(m H264Level) bool {
	rank := func(l H264Level) int {
		switch l {
		case 0:
			return math.MaxInt
		case H264Level1b:
			return 2*10 + 1
		}
		return 2 * int(l)
	}
	return rank(l) < rank(m)
}

// String is the level as people write it: "3.1", "1b" ("none" for the
// zero level).
func (l H264Level) String() string {
	switch l {
	case 0:
		return "none"
	case H264Level1b:
		return "1b"
	}
	return fmt.Sprintf("%d.%d", l/10, l%10)
}

// Fit returns the largest picture size, of w×h's shape (w and h even)
// and no larger, whose w×h pictures at fps a decoder of level l takes:
// macroblocks per frame and per second, and the width and height, within
// the level's limits. The zero level fits anything. Neither side is made
// less than 16 (an encoder's least): a canvas far wider than high at the
// lowest levels keeps 16 rows, a little beyond the level.
func (l H264Level) Fit(w, h, fps int) (int, int) {
	if l == 0 || w < 2 || h < 2 || fps < 1 {
		return w, h
	}
	mbps, mbFS, _ := l.limits()
	// Either side at most sqrt(8 MaxFS) macroblocks (A.3.1 f and g).
	side := int(math.Sqrt(float64(8 * mbFS)))
	fits := func(w, h int) bool {
		mw, mh := (w+15)/16, (h+15)/16
		return mw <= side && mh <= side && mw*mh <= mbFS && mw*mh*fps <= mbps
	}
	// Down in steps of two pixels of the longer side, the other side
	// keeping the shape: at most a few thousand steps.
	least := func(W, H int) (int, int) { return max(W, min(w, 16)), max(H, min(h, 16)) }
	for W, H := w, h; W >= 2 && H >= 2; {
		if fits(W, H) || W <= 16 && H <= 16 {
			return least(W, H)
		}
		if w >= h {
			W -= 2
			H = evenRound(float64(W) * float64(h) / float64(w))
		} else {
			H -= 2
			W = evenRound(float64(H) * float64(w) / float64(h))
		}
	}
	return least(2, 2)
}

// evenRound is x rounded to an even number, at least 2.
func evenRound(x float64) int {
	return max(2, 2*int(math.Round(x/2)))
}
