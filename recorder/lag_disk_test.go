//go:build cgo

package recorder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestPicturesReachTheDiskWhileSoundLags: sound handed to the writer
// steadily 3 s after the pictures of its time (a mixer whose audio lags):
// the muxer holds the pictures no more than maxInterleave waiting for it,
// so that a kill loses no more than that and the cluster being written; a
// reader of the file as it is (no Close) after 8 s of pictures finds
// pictures to at least 6 s.
func TestPicturesReachTheDiskWhileSoundLags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lag.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	const lag, total = 3 * time.Second, 8 * time.Second
	vi, ai := 0, 0
	for {
		vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
		if vt >= total {
			break
		}
		if at+lag <= vt {
			f, err := c.audioFrame(ai)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.WriteAudio(f); err != nil {
				t.Fatal(err)
			}
			ai++
			continue
		}
		f, err := c.videoFrame(vi)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteVideo(f); err != nil {
			t.Fatal(err)
		}
		vi++
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1)
	for _, b := range mediatest.WebMBlocks(data) {
		if b.Track == 1 {
			last = max(last, b.At)
		}
	}
	if last < 6000 {
		t.Errorf("pictures on the disk to %d ms after 8 s of them, want at least 6000", last)
	}
}
