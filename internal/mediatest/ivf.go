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
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 32 || string(data[:4]) != "DKIF" {
		t.Fatalf("%s: not an IVF file", src)
	}
	off := int(binary.LittleEndian.Uint16(data[6:]))
	for i := 0; off+12 <= len(data); i++ {
		size := int(binary.LittleEndian.Uint32(data[off:]))
		pts := binary.LittleEndian.Uint64(data[off+4:])
		binary.LittleEndian.PutUint64(data[off+4:], ts(i, pts))
		off += 12 + size
	}
	path := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// DamageIVFSize copies the IVF file src with the size field of its frame
// number frame set to size, into a temporary file whose path it returns: a
// damaged frame header. A size beyond the file's end makes that frame take
// the rest of the file.
func DamageIVFSize(t testing.TB, src string, frame int, size uint32) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 32 || string(data[:4]) != "DKIF" {
		t.Fatalf("%s: not an IVF file", src)
	}
	off := int(binary.LittleEndian.Uint16(data[6:]))
	for range frame {
		if off+12 > len(data) {
			t.Fatalf("%s has fewer than %d frames", src, frame+1)
		}
		off += 12 + int(binary.LittleEndian.Uint32(data[off:]))
	}
	if off+12 > len(data) {
		t.Fatalf("%s has fewer than %d frames", src, frame+1)
	}
	binary.LittleEndian.PutUint32(data[off:], size)
	path := filepath.Join(t.TempDir(), "damaged-"+filepath.Base(src))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
