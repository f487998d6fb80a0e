package offline

import (
	"path/filepath"
	"testing"

	"mcu/audio"
)

// TestLongGapIsSilence: half a second of sound lost (a pause in a
// recording, a run of lost packets) is concealed for its first 100 ms, as a
// live participant's is, and silent after that: the decoder's concealment
// carried on for the whole gap would buzz through it.
func TestLongGapIsSilence(t *testing.T) {
	dir := t.TempDir()
	whole, lossy := filepath.Join(dir, "whole.mka"), filepath.Join(dir, "lossy.mka")
	ffmpegRuns(t, [][]string{
		toneMKA(whole), // a tone for its first second, in 10 ms packets
		{"-i", whole, "-c", "copy", "-bsf:a", `noise=drop=between(n\,30\,79)`, lossy}, // 300 to 800 ms lost
	})
	pcm := fileSound(t, lossy)
	at := func(ms int) int { return ms * audio.SampleRate / 1000 * audio.Channels }
	if len(pcm) < at(1000) {
		t.Fatalf("%d samples, want at least a second", len(pcm)/audio.Channels)
	}
	loud := 0
	for _, s := range pcm[at(250):at(300)] {
		loud = max(loud, int(s), -int(s))
	}
	if loud < 1000 {
		t.Fatalf("the tone before the gap peaks at %d, want it loud", loud)
	}
	for i, s := range pcm[at(450):at(750)] {
		if s != 0 {
			t.Fatalf("%d ms into the gap the sound is %d, want silence after 100 ms of concealment", 150+i/audio.Channels*1000/audio.SampleRate, s)
		}
	}
}
