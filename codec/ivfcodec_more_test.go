package codec

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestIVFFirstFrameSizeBounded: the size an IVF's first frame header
// claims is damage as often as not: reading the frame's start for its
// codec allocates what it reads (4 KiB at most), not the 4 GB a damaged
// size says, which a small server would be killed for.
func TestIVFFirstFrameSizeBounded(t *testing.T) {
	hdr := make([]byte, 44)
	copy(hdr, "DKIF")
	binary.LittleEndian.PutUint16(hdr[6:], 32)
	copy(hdr[8:], "VP80")
	binary.LittleEndian.PutUint32(hdr[32:], 0xfffffff0) // the first frame's size
	key := []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}
	path := filepath.Join(t.TempDir(), "damaged.ivf")
	if err := os.WriteFile(path, append(hdr, key...), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fourCC, first := ivfFirstFrame(path)
	runtime.ReadMemStats(&after)
	if fourCC != "VP80" || string(first) != string(key) {
		t.Errorf("ivfFirstFrame = %q, % x; want VP80, % x", fourCC, first, key)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("reading the first frame allocated %d bytes", got)
	}
}
