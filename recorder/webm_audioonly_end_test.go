//go:build cgo

package recorder

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWebMClosedBeforeTheFirstKeyframeEndsWithItsSegment: a file written
// again without its video track (closed before the first keyframe, with
// little sound held) holds nothing of the first header after its end:
// the file ends where its Segment does.
func TestWebMClosedBeforeTheFirstKeyframeEndsWithItsSegment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	a, err := newClip(t).audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	a.Data = []byte{0xf8, 0xff, 0xfe} // 20 ms of silence, as a room's DTX sends it
	if err := w.WriteAudio(a); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The EBML header, then the Segment: each an ID of 4 bytes and a size.
	head, n := vint(data[4:])
	at := 4 + n + int(head)
	size, m := vint(data[at+4:])
	if end := at + 4 + m + int(size); n == 0 || m == 0 || end != len(data) {
		t.Errorf("the Segment ends at byte %d of %d", end, len(data))
	}
}
