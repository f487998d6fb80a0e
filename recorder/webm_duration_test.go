//go:build cgo

package recorder

import (
	"path/filepath"
	"testing"
	"time"
)

// TestWebMDurationIsTheLatestEnd: what the writer says it wrote (mcu
// mix reports it) is the end of its latest frame, whichever kind was
// written last: pictures handed in after sound that ran further do not
// shorten it.
func TestWebMDurationIsTheLatestEnd(t *testing.T) {
	w, err := CreateWebM(filepath.Join(t.TempDir(), "out.webm"), WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	key, err := c.videoFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	key.Duration = time.Second / 30
	if err := w.WriteVideo(key); err != nil {
		t.Fatal(err)
	}
	for i := range 50 { // a second of sound
		a, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(a); err != nil {
			t.Fatal(err)
		}
	}
	delta, err := c.videoFrame(1)
	if err != nil {
		t.Fatal(err)
	}
	delta.Duration = time.Second / 30
	if err := w.WriteVideo(delta); err != nil {
		t.Fatal(err)
	}
	if d := w.Duration(); d != time.Second {
		t.Errorf("the writer says %v written, want 1s (the sound's end)", d)
	}
}
