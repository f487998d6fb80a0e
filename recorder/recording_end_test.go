//go:build cgo

package recorder

import (
	"testing"
	"time"
)

// TestRecordingEndsWithItsPictures: the mixer's sound reaches a recording
// as it is mixed, its pictures a frame or more later, once encoded. A
// stop ends the sound where it is, waits for the pictures of the same
// moments, and leaves out the sound mixed meanwhile: the file's pictures
// end with its sound, not before it.
func TestRecordingEndsWithItsPictures(t *testing.T) {
	rec, err := Start(t.TempDir(), "r", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	audio := func(from, to int) {
		for i := from; i < to; i++ {
			f, err := c.audioFrame(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Audio(f)
		}
	}
	video := func(from, to int) {
		for i := from; i < to; i++ {
			f, err := c.videoFrame(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Video(f)
		}
	}
	// A second of sound (50 frames), pictures to 0.8 s (25): the encoder
	// is behind. The file holds its first picture before the stop.
	video(0, 1)
	select {
	case <-rec.Pictured():
	case <-time.After(5 * time.Second):
		t.Fatal("no first picture in the file")
	}
	audio(0, 50)
	video(1, 25)

	ended := make(chan time.Duration)
	go func() {
		start := time.Now()
		rec.EndWithPictures(nil, time.Second/30, 5*time.Second)
		ended <- time.Since(start)
	}()
	// The sound mixed from here on comes after the stop: not before its
	// end is set, however late the goroutine runs.
	for cut := false; !cut; {
		select {
		case <-ended:
			t.Fatal("the stop did not wait for the pictures of its last sound")
		case <-time.After(time.Millisecond):
		}
		rec.mu.Lock()
		cut = rec.soundEnd >= 0
		rec.mu.Unlock()
	}
	select {
	case <-ended:
		t.Fatal("the stop did not wait for the pictures of its last sound")
	case <-time.After(50 * time.Millisecond):
	}
	audio(50, 60) // mixed after the stop: left out
	video(25, 30) // the picture shown at 0.98 s is the 29th, at 0.967 s
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("the stop still waits, its pictures given")
	}
	path, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, path)
	if len(p.Streams) != 2 || p.Streams[0].NbReadFrames != "30" || p.Streams[1].NbReadFrames != "50" {
		t.Errorf("streams %+v: want the 30 pictures and the 50 frames of sound mixed before the stop", p.Streams)
	}
}

// TestRecordingEndWaitsBounded: a stop waits for its last pictures no
// longer than it is told, and not at all once the mixer has stopped or
// when the file has no picture yet.
func TestRecordingEndWaitsBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		picture bool
		done    bool
		most    time.Duration
	}{
		{"no picture yet", false, false, 100 * time.Millisecond},
		{"the mixer stopped", true, true, 100 * time.Millisecond},
		{"no picture comes", true, false, 2 * time.Second},
	} {
		rec, err := Start(t.TempDir(), "r", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := newClip(t)
		if tc.picture {
			f, err := c.videoFrame(0)
			if err != nil {
				t.Fatal(err)
			}
			rec.Video(f)
			<-rec.Pictured()
		}
		for i := range 25 {
			f, err := c.audioFrame(i)
			if err != nil {
				t.Fatal(err)
			}
			rec.Audio(f)
		}
		done := make(chan struct{})
		if tc.done {
			close(done)
		}
		start := time.Now()
		rec.EndWithPictures(done, time.Second/30, 300*time.Millisecond)
		took := time.Since(start)
		if took > tc.most || tc.name == "no picture comes" && took < 300*time.Millisecond {
			t.Errorf("%s: the stop waited %v", tc.name, took)
		}
		if _, err := rec.Stop(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
