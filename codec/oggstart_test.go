package codec

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestLiveCapturedOggKeepsItsStart: an Ogg Opus file captured from a live
// stream joined midway (curl of an Icecast stream: the stored header
// pages, then the stream's pages as they go, their page numbers and
// granule positions those of the stream, 10 minutes in). No page is
// damaged: its sound starts at the file's 0 (a gap in the page numbers
// alone is no loss).
func TestLiveCapturedOggKeepsItsStart(t *testing.T) {
	b, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+27 <= len(b); {
		n := int(b[i+26])
		l := 27 + n
		for _, s := range b[i+27 : i+27+n] {
			l += int(s)
		}
		if seq := binary.LittleEndian.Uint32(b[i+18:]); seq >= 2 {
			binary.LittleEndian.PutUint32(b[i+18:], seq+600)
			binary.LittleEndian.PutUint64(b[i+6:], binary.LittleEndian.Uint64(b[i+6:])+48000*600)
			binary.LittleEndian.PutUint32(b[i+22:], oggChecksum(b[i:i+l]))
		}
		i += l
	}
	path := filepath.Join(t.TempDir(), "live.ogg")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p, err := in.Read()
	if err != nil {
		t.Fatal(err)
	}
	if in.LostStart() || p.PTS > time.Second {
		t.Errorf("a live capture joined 10 min in, no page damaged: first packet at %v, LostStart %v; want ~0 and false (the mix would open with %v of silence)", p.PTS, in.LostStart(), p.PTS)
	}
	if s := in.CutShort(3 * time.Second); s != "" {
		t.Logf("CutShort: %s", s)
	}
}
