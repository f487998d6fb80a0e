package offline

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/audio"
	"mcu/internal/mediatest"
)

// fileSound runs a fileAudio over path and returns all it gives, 20 ms
// frames joined.
func fileSound(t *testing.T, path string) []int16 {
	t.Helper()
	p, err := ParseParticipant(path)
	if err != nil {
		t.Fatal(err)
	}
	a := newFileAudio(p.Audio, p.audioInfo, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.run(ctx) }()
	var pcm []int16
	frame := make([]int16, audio.FrameLen)
	for {
		ok, err := a.AudioAt(ctx, 0, frame)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		pcm = append(pcm, frame...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return pcm
}

// TestFileAudioTrimsTheEnd: an Ogg stream's last packet codes more than
// the stream holds (its end is trimmed to the last granule position): a
// 3 s clip gives 3 s of sound, not the encoder's padding after it, and a
// second clip chained after it starts at 3 s, not that padding later.
func TestFileAudioTrimsTheEnd(t *testing.T) {
	who := mediatest.Participants(t)
	one := fileSound(t, mediatest.TestdataPath(t, "p01.ogg"))
	if got := len(one) / audio.Channels; got != 3*audio.SampleRate {
		t.Errorf("a 3 s clip gave %d samples (%v)", got, time.Duration(got)*time.Second/audio.SampleRate)
	}
	two := fileSound(t, chainedOgg(t, t.TempDir(), "p01.ogg", "p02.ogg"))
	if got := len(two) / audio.Channels; got != 6*audio.SampleRate {
		t.Errorf("two 3 s clips chained gave %d samples (%v)", got, time.Duration(got)*time.Second/audio.SampleRate)
	}
	// The second clip's tone from its first 10 ms on, as loud as later.
	level := func(hz float64, from time.Duration) float64 {
		return mediatest.ToneLevel(two, audio.Channels, 0, audio.SampleRate, hz, from, from+10*time.Millisecond)
	}
	second, first := who[1].ToneHz, who[0].ToneHz
	start, later := level(second, 3*time.Second), level(second, 4*time.Second)
	t.Logf("second tone at 3 s %.1f dBFS, at 4 s %.1f; first tone at 3 s %.1f", start, later, level(first, 3*time.Second))
	if start < later-3 {
		t.Errorf("the second clip's tone at 3 s is %.1f dBFS, at 4 s %.1f: it starts late", start, later)
	}
}

// chainedOgg joins testdata's Ogg files end to end into dir/chained.ogg, as
// cat would: a chained Ogg.
func chainedOgg(t *testing.T, dir string, names ...string) string {
	t.Helper()
	var data []byte
	for _, name := range names {
		b, err := os.ReadFile(mediatest.TestdataPath(t, name))
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b...)
	}
	path := filepath.Join(dir, "chained.ogg")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFileAudioPadsTheLastFrame: a clip whose length is not whole 20 ms
// frames ends with a frame padded with silence, not with what the frame's
// buffer held from earlier sound.
func TestFileAudioPadsTheLastFrame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tone.ogg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=1.01",
		"-af", "volume=10dB", "-ac", "2", "-c:a", "libopus", "-b:a", "64k", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	pcm := fileSound(t, path)
	const end = 48480 // 1.01 s, in sample pairs
	if len(pcm) != 2*51*audio.FrameSamples {
		t.Fatalf("%d samples, want 51 frames (1.02 s) of stereo", len(pcm))
	}
	loud := 0
	for _, s := range pcm[2*48000 : 2*end] {
		loud = max(loud, int(s), -int(s))
	}
	if loud < 4000 {
		t.Fatalf("the tone peaks at %d just before its end, want it loud", loud)
	}
	for i, s := range pcm[2*end:] {
		if s != 0 {
			t.Fatalf("sample %d after the clip's end is %d, want the padding's 0", end+i/2, s)
		}
	}
}
