package mixer

import (
	"context"
	"testing"

	"mcu/audio"
)

// TestLiveAudioStoppedSenderIsNoUnderrun: a sender whose sound stops for
// 10 s (a track removed or muted by replaceTrack(null), a gateway that
// sends nothing in its pauses) while its session goes on: the first
// second without sound counts as underruns (it may be the network), the
// rest does not (a network whose packets come late never holds them
// back that long, and the JSON's underruns would otherwise grow by 50 a
// second for as long as someone keeps their microphone off).
func TestLiveAudioStoppedSenderIsNoUnderrun(t *testing.T) {
	a := NewLiveAudio()
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	tick := func(push int) {
		for range push {
			a.Push(frameOf(1000))
		}
		a.AudioAt(ctx, 0, pcm)
	}
	a.Push(frameOf(1000))
	for range 100 {
		tick(1)
	}
	for range 500 {
		tick(0)
	}
	if u, _ := a.Stats(); u > lagForget {
		t.Errorf("%d underruns in 10 s without sound, want at most %d (its first second)", u, lagForget)
	}
	if lag := a.Lag(); lag != 0 {
		t.Errorf("lag %v with the sound stopped, want 0", lag)
	}
}
