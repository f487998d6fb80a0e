//go:build cgo

package recorder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestWebMClosedBeforeTheFirstKeyframeIsSeekable: a recording stopped
// before its first keyframe keeps the sound it held, and, as every
// finalized recording, its Cues: FFmpeg indexes a file with a video track
// by its keyframes alone, and Chromium cannot seek in a file without Cues
// ("demuxer seek failed"). The file is of its sound alone.
func TestWebMClosedBeforeTheFirstKeyframeIsSeekable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	for i := range 50 { // a second of sound, no picture
		f, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		f.PTS += 7 * time.Second
		if err := w.WriteAudio(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] != 1 {
		t.Error("no Cues element: players cannot seek in the file")
	}
	p := ffprobe(t, path)
	if len(p.Streams) != 1 || p.Streams[0].CodecName != "opus" || p.Streams[0].NbReadFrames != "50" {
		t.Errorf("streams %+v, want the 50 sound packets alone", p.Streams)
	}
	checkOpusTrack(t, data)
}
