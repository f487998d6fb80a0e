package offline

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

// TestLiveCapturedOggLength: an Ogg Opus captured from a live
// stream 10 minutes in (its header pages, then the stream's pages with
// their own numbers and granules; none damaged) mixes into its 3 s, not
// into 10 minutes of silence and its 3 s.
func TestLiveCapturedOggLength(t *testing.T) {
	b := readTestdata(t, "p01.ogg")
	at, size := oggPages(b)
	for k := 2; k < len(at); k++ {
		i := at[k]
		binary.LittleEndian.PutUint32(b[i+18:], binary.LittleEndian.Uint32(b[i+18:])+600)
		binary.LittleEndian.PutUint64(b[i+6:], binary.LittleEndian.Uint64(b[i+6:])+48000*600)
		binary.LittleEndian.PutUint32(b[i+22:], oggCRC(b[i:i+size[k]]))
	}
	p, err := ParseParticipant(writeTemp(t, "live.ogg", b))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.measure(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.length > 4*time.Second {
		t.Errorf("a 3 s live capture measures %v: the mix opens with that much silence", p.length)
	}
}
