//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestFinishKeepsEachForeignLabel: a file of another tool's that differs
// from mcu's in its pictures' labels alone (BT.709, or BT.601 in full
// range), or in its OpusHead alone (a pre-skip of 120, still stereo),
// keeps it: each check refuses such a file on its own.
func TestFinishKeepsEachForeignLabel(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(t *testing.T, data []byte)
	}{
		{"colours", func(t *testing.T, data []byte) {
			for _, id := range [][]byte{{0x55, 0xb1}, {0x55, 0xba}, {0x55, 0xbb}} {
				i := bytes.Index(data, append(id, 0x81, 6))
				if i < 0 {
					t.Fatalf("no colour element %x", id)
				}
				data[i+3] = 1
			}
		}},
		{"full range", func(t *testing.T, data []byte) {
			i := bytes.Index(data, []byte{0x55, 0xb9, 0x81, 1})
			if i < 0 {
				t.Fatal("no Range element of limited range")
			}
			data[i+3] = 2
		}},
		{"opushead", func(t *testing.T, data []byte) {
			head := bytes.Index(data, []byte("OpusHead"))
			if head < 0 {
				t.Fatal("no OpusHead")
			}
			binary.LittleEndian.PutUint16(data[head+10:], 120)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "other.webm")
			data := killedRecording(t, path)
			c.change(t, data)
			if err := os.WriteFile(path, data, 0o640); err != nil {
				t.Fatal(err)
			}
			before := labels(t, path)
			ok, err := FinishFile(context.Background(), path)
			t.Logf("finished %v: %v", ok, err)
			if after := labels(t, path); after != before {
				t.Errorf("the file's labels are now %q, were %q", after, before)
			}
		})
	}
}
