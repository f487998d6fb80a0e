//go:build cgo

package recorder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestWebMMarksItsKeyframes: every picture of a recording is marked a
// keyframe in the file (the SimpleBlock's flag) exactly when it is one
// (its VP8 header says so). Players seek to the blocks so marked, and
// the muxer's Cues index them: a delta marked as a keyframe would make a
// seek land on a picture that cannot be decoded, a keyframe left
// unmarked one that cannot be sought to.
func TestWebMMarksItsKeyframes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, 3*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pictures, keys := 0, 0
	for _, b := range mediatest.WebMBlocks(data) {
		if b.Track != 1 || len(b.Data) == 0 {
			continue
		}
		pictures++
		// A VP8 frame's first bit is 0 for a keyframe (RFC 6386, 9.1).
		isKey := b.Data[0]&1 == 0
		if isKey {
			keys++
		}
		if b.Key != isKey {
			t.Errorf("the picture at %d ms: marked a keyframe %v, is one %v", b.At, b.Key, isKey)
		}
	}
	if pictures != 90 || keys != 3 {
		t.Errorf("%d pictures, %d keyframes; want 90 and 3 (one a second)", pictures, keys)
	}
}
