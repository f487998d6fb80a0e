package offline

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"mcu/internal/mediatest"
)

// TestNoPictureIsTold: raw H.264 whose parameter sets are whole but whose
// pictures are garbage (a file damaged from its first picture) decodes to
// nothing without an error from FFmpeg, whose own lines name no file;
// paired with a good sound, the mix goes on with a placeholder tile, and
// says which file gave no picture.
func TestNoPictureIsTold(t *testing.T) {
	b := readTestdata(t, "p01.h264")
	idr := -1
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 && b[i+3]&0x1f == 5 {
			idr = i
			break
		}
	}
	if idr < 0 {
		t.Fatal("no IDR slice in p01.h264")
	}
	garbage := make([]byte, 100_000)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	video := writeTemp(t, "garbage.h264", append(bytes.Clone(b[:idr]), garbage...))
	_, log := mixDamaged(t, video+"+"+mediatest.TestdataPath(t, "p01.ogg"))
	if !strings.Contains(log, filepath.Base(video)) {
		t.Errorf("a video that gave no picture is not named; log:\n%s", log)
	}
}
