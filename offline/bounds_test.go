package offline

import (
	"strings"
	"testing"
	"time"
)

// TestTimingDoubtsAtTheBounds: the bounds of TestTimingDoubts themselves.
// Ten pictures are enough to doubt their rate; picture and sound that
// differ by exactly 10 s are not doubted.
func TestTimingDoubtsAtTheBounds(t *testing.T) {
	const s = time.Second
	for _, c := range []struct {
		name     string
		pictures int
		video    time.Duration
		audio    time.Duration
		want     []string
	}{
		{"ten pictures, one every 11 s", 10, 110 * s, 0, []string{"one every 11s"}},
		{"ten pictures in 1 ms", 10, time.Millisecond, 0, []string{"over 240 a second"}},
		{"sound exactly 10 s longer, 5 times", 90, 2500 * time.Millisecond, 12500 * time.Millisecond, nil},
	} {
		got := timingDoubts(c.pictures, c.video, c.audio)
		ok := len(got) == len(c.want)
		for i := range c.want {
			ok = ok && strings.Contains(got[i], c.want[i])
		}
		if !ok {
			t.Errorf("%s (%d pictures over %v, sound %v): doubts %q, want ones saying %q", c.name, c.pictures, c.video, c.audio, got, c.want)
		}
	}
}

// TestFilesNamesAFileOnce: a participant whose picture and sound come from
// one file is named by that file in warnings, not "a.webm+a.webm".
func TestFilesNamesAFileOnce(t *testing.T) {
	for _, c := range []struct {
		p    Participant
		want string
	}{
		{Participant{Video: "a.webm", Audio: "a.webm"}, "a.webm"},
		{Participant{Video: "a.ivf", Audio: "a.ogg"}, "a.ivf+a.ogg"},
		{Participant{Video: "a.ivf"}, "a.ivf"},
		{Participant{Audio: "a.ogg"}, "a.ogg"},
	} {
		if got := c.p.files(); got != c.want {
			t.Errorf("files() of video %q, audio %q = %q, want %q", c.p.Video, c.p.Audio, got, c.want)
		}
	}
}
