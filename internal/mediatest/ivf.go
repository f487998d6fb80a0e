package mediatest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// RetimeIVF copies the IVF file src with each frame's timestamp (in the
// file's time base) passed through ts, into a temporary file whose path it
// returns: damaged or unusual timestamps for tests.
func RetimeIVF(t testing.TB, src string, ts func(frame int, pts uint64) uint64) string {
	t.Helper()
	data, frames := readIVF(t, src)
	for i, off := range frames {
		binary.LittleEndian.PutUint64(data[off+4:], ts(i, binary.LittleEndian.Uint64(data[off+4:])))
	}
	return writeTemp(t, filepath.Base(src), data)
}

// DamageIVFSize copies the IVF file src with the size field of its frame
// number frame set to size, into a temporary file whose path it returns: a
// damaged frame header. A size beyond the file's end makes that frame take
// the rest of the file.
func DamageIVFSize(t testing.TB, src string, frame int, size uint32) string {
	t.Helper()
	data, frames := readIVF(t, src)
	if frame >= len(frames) {
		t.Fatalf("%s has %d frames, not %d", src, len(frames), frame+1)
	}
	binary.LittleEndian.PutUint32(data[frames[frame]:], size)
	return writeTemp(t, "damaged-"+filepath.Base(src), data)
}

// readIVF reads the IVF file src and the offsets of its frames' 12-byte
// headers (a 4-byte size, an 8-byte time).
func readIVF(t testing.TB, src string) (data []byte, frames []int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 32 || string(data[:4]) != "DKIF" {
		t.Fatalf("%s: not an IVF file", src)
	}
	for off := int(binary.LittleEndian.Uint16(data[6:])); off+12 <= len(data); off += 12 + int(binary.LittleEndian.Uint32(data[off:])) {
		frames = append(frames, off)
	}
	return data, frames
}

// writeTemp writes data to a file of the test's temporary folder.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
