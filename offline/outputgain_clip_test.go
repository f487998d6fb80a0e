package offline

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOpusOutputGainClips: a positive output gain that takes a loud tone
// past full scale clips it, as a player does; it does not wrap the samples
// round to the other sign, which is a loud crackle in the mix.
func TestOpusOutputGainClips(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.ogg")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=1",
		"-af", "volume=14dB", "-ac", "2", "-c:a", "libopus", "-b:a", "64k", plain).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	at, size := oggPages(b)
	g := b[at[0] : at[0]+size[0]]
	if string(g[27+int(g[26]):][:8]) != "OpusHead" {
		t.Fatalf("first page holds %q, want the OpusHead", g[27+int(g[26]):][:8])
	}
	loud := filepath.Join(dir, "loud.ogg")
	gained := append([]byte(nil), b...)
	g = gained[at[0] : at[0]+size[0]]
	binary.LittleEndian.PutUint16(g[27+int(g[26])+16:], uint16(12*256)) // +12 dB, in 1/256 dB
	binary.LittleEndian.PutUint32(g[22:], oggCRC(g))
	if err := os.WriteFile(loud, gained, 0o644); err != nil {
		t.Fatal(err)
	}
	ref, got := fileSound(t, plain), fileSound(t, loud)
	if len(ref) != len(got) {
		t.Fatalf("%d samples with the gain, %d without", len(got), len(ref))
	}
	clipped, flipped := 0, 0
	for i, s := range ref {
		switch {
		case s > 10000 && got[i] < 0, s < -10000 && got[i] > 0:
			flipped++
		case s > 10000 && got[i] == 32767, s < -10000 && got[i] == -32768:
			clipped++
		}
	}
	if flipped > 0 || clipped == 0 {
		t.Errorf("a tone at +12 dB past full scale: %d loud samples turned to the other sign, %d clipped; want none turned, some clipped", flipped, clipped)
	}
}
