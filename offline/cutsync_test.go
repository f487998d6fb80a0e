package offline

import (
	"path/filepath"
	"testing"
	"time"

	"mcu/audio"
)

// TestCutMP4SoundKeepsItsTime: an MP4 cut without re-encoding half a
// second into a tone that lasts a second ("ffmpeg -ss 0.5 -c copy") has
// the tone for its first half second: the sound before the cut, decoded
// and let go (pre-roll), takes its own length off what is dropped, no
// more. Were a pre-roll packet counted as half its samples, a quarter of
// a second more would go and the sound would run that much ahead of the
// picture.
func TestCutMP4SoundKeepsItsTime(t *testing.T) {
	dir := t.TempDir()
	whole, cut := filepath.Join(dir, "whole.mp4"), filepath.Join(dir, "cut.mp4")
	ffmpegRuns(t, [][]string{
		{"-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=3", "-f", "lavfi", "-i", "sine=f=440:d=1,apad=whole_dur=3",
			"-c:v", "libx264", "-g", "30", "-c:a", "libopus", "-shortest", whole},
		{"-ss", "0.5", "-i", whole, "-c", "copy", cut},
	})
	toneEnd := func(pcm []int16) time.Duration {
		last := 0
		for i, s := range pcm {
			if s > 1000 || s < -1000 {
				last = i / audio.Channels
			}
		}
		return time.Duration(last) * time.Second / audio.SampleRate
	}
	if end := toneEnd(fileSound(t, whole)); end < 990*time.Millisecond || end > 1010*time.Millisecond {
		t.Fatalf("the whole clip's tone ends at %v, want 1 s", end)
	}
	if end := toneEnd(fileSound(t, cut)); end < 490*time.Millisecond || end > 510*time.Millisecond {
		t.Errorf("the cut clip's tone ends at %v, want 500ms (its time in the clip)", end)
	}
}
