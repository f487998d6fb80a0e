//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mcu/internal/mediatest"
)

// TestFinishKeepsForeignLabels: an unfinished VP8 and Opus WebM that mcu
// did not write (another tool's live output: its pictures labelled
// BT.709, its sound mono with a pre-skip of 120) is either left as it is
// or finished with its labels: the writer's own (BT.601, a stereo
// OpusHead with mcu's pre-skip) would shift its colours in players that
// read them, and its sound. Its error says once which recording.
func TestFinishKeepsForeignLabels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.webm")
	data := killedRecording(t, path)
	// The same file but for its labels, byte for byte the same length:
	// the Colour element's matrix, transfer and primaries (6: BT.601) set
	// to 1 (BT.709), and the OpusHead's channels and pre-skip.
	for _, id := range [][]byte{{0x55, 0xb1}, {0x55, 0xba}, {0x55, 0xbb}} {
		el := append(id, 0x81, 6)
		i := bytes.Index(data, el)
		if i < 0 {
			t.Fatalf("no colour element %x", id)
		}
		data[i+3] = 1
	}
	head := bytes.Index(data, []byte("OpusHead"))
	if head < 0 {
		t.Fatal("no OpusHead")
	}
	data[head+9] = 1
	binary.LittleEndian.PutUint16(data[head+10:], 120)
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	before := labels(t, path)
	ok, err := FinishFile(context.Background(), path)
	t.Logf("finished %v: %v", ok, err)
	if err != nil && strings.Count(err.Error(), "recorder: finish") != 1 {
		t.Errorf("the error names the recording other than once: %v", err)
	}
	if after := labels(t, path); after != before {
		t.Errorf("the file's labels are now %q, were %q", after, before)
	}
}

// labels are a WebM file's Colour element and OpusHead.
func labels(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for _, id := range [][]byte{{0x55, 0xb1}, {0x55, 0xba}, {0x55, 0xbb}, {0x55, 0xb9}} {
		if i := bytes.Index(data, append(id, 0x81)); i >= 0 {
			out += string(data[i : i+4])
		}
	}
	for _, tr := range mediatest.WebMTracks(data) {
		out += string(tr[0x63a2])
	}
	return out
}
