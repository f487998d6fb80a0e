package offline

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/audio"
	"mcu/internal/mediatest"
)

// TestOpusOutputGainApplied: an OpusHead's output gain (RFC 7845 5.1:
// "applied when decoding", as FFmpeg and every player do) sets how loud
// the sound is mixed: a tone whose header says -12 dB is mixed 12 dB
// quieter than the same tone without it, alone and as the second link of
// a chained Ogg.
func TestOpusOutputGainApplied(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.ogg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=1",
		"-af", "volume=10dB", "-ac", "2", "-c:a", "libopus", "-b:a", "64k", plain).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	at, size := oggPages(b)
	head := b[at[0] : at[0]+size[0]]
	body := head[27+int(head[26]):]
	if string(body[:8]) != "OpusHead" {
		t.Fatalf("first page holds %q, want the OpusHead", body[:8])
	}
	gained := append([]byte(nil), b...)
	g := gained[at[0] : at[0]+size[0]]
	gain := int16(-12 * 256) // in 1/256 dB
	binary.LittleEndian.PutUint16(g[27+int(g[26])+16:], uint16(gain))
	binary.LittleEndian.PutUint32(g[22:], oggCRC(g))
	quiet := filepath.Join(dir, "quiet.ogg")
	if err := os.WriteFile(quiet, gained, 0o644); err != nil {
		t.Fatal(err)
	}
	chained := filepath.Join(dir, "chained.ogg")
	if err := os.WriteFile(chained, append(append([]byte(nil), b...), gained...), 0o644); err != nil {
		t.Fatal(err)
	}
	level := func(pcm []int16, from time.Duration) float64 {
		return mediatest.ToneLevel(pcm, audio.Channels, 0, audio.SampleRate, 440, from, from+500*time.Millisecond)
	}
	ref := level(fileSound(t, plain), 250*time.Millisecond)
	if got := level(fileSound(t, quiet), 250*time.Millisecond); math.Abs(got-(ref-12)) > 1 {
		t.Errorf("tone with an output gain of -12 dB at %.1f dBFS, without %.1f: want 12 dB quieter", got, ref)
	}
	two := fileSound(t, chained)
	first, second := level(two, 250*time.Millisecond), level(two, 1250*time.Millisecond)
	if math.Abs(first-ref) > 1 || math.Abs(second-(ref-12)) > 1 {
		t.Errorf("chained: first link at %.1f dBFS, second (-12 dB) at %.1f; want %.1f and %.1f", first, second, ref, ref-12)
	}
}
