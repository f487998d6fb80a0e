//go:build cgo

package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestRecordingStoppedBeforeAnyFrame: FFmpeg writes a broken WebM for a
// file that got no frame at all (ffprobe: "End of file"), so a recording
// stopped before its first frame removes its file and says so
// (ErrEmpty), every Stop alike; one with a frame is kept and plays, and
// one that got only sound before its stop keeps it, without a picture.
func TestRecordingStoppedBeforeAnyFrame(t *testing.T) {
	r := startRecording(t)
	select {
	case <-r.Pictured():
		t.Fatal("pictured before any frame")
	default:
	}
	for range 2 {
		path, err := r.Stop()
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("Stop of a recording with no frame: %v, want ErrEmpty", err)
		}
		if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("the empty recording's file %s is still there (%v)", path, serr)
		}
	}

	c := newClip(t)
	r = startRecording(t)
	for i := range 10 {
		a, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		r.Audio(a)
	}
	path, err := r.Stop()
	if err != nil {
		t.Fatalf("Stop of a recording with sound alone: %v", err)
	}
	if p := ffprobe(t, path); len(p.Streams) == 0 {
		t.Errorf("the recording of sound alone does not play: %+v", p)
	}

	// A picture that is not a keyframe, first, is left out: the file
	// still has no picture.
	r = startRecording(t)
	if _, err := c.videoFrame(0); err != nil { // the clip's keyframe
		t.Fatal(err)
	}
	delta, err := c.videoFrame(1)
	if err != nil || delta.Key {
		t.Fatalf("the clip's second picture: key %v, %v", delta.Key, err)
	}
	r.Video(delta)
	time.Sleep(100 * time.Millisecond)
	select {
	case <-r.Pictured():
		t.Fatal("pictured by a picture left out (not a keyframe, before the first)")
	default:
	}
	key, err := c.video.Encode(&c.pic.YCbCr, 2*time.Second/30, true)
	if err != nil || !key.Key {
		t.Fatalf("a keyframe: key %v, %v", key.Key, err)
	}
	r.Video(key)
	waitFor(t, 5*time.Second, "the first picture in the file", func() bool {
		select {
		case <-r.Pictured():
			return true
		default:
			return false
		}
	})
	if path, err = r.Stop(); err != nil {
		t.Fatalf("Stop of a recording with one picture: %v", err)
	}
	if p := ffprobe(t, path); len(p.Streams) == 0 || p.Streams[0].NbReadFrames != "1" {
		t.Errorf("the recording of one picture: %+v, want it to play its one frame", p)
	}
}

// TestClustersReachTheDiskAsTheyClose: 3.5 s of media written and the
// writer neither closed nor flushed: the file on the disk already holds
// the clusters of its first seconds (a cluster lasts at most a second and
// reaches the file as it closes), which is what a killed process leaves.
// The keyframes come every 5 s, as a live room's: the clusters' time
// limit bounds them, not keyframes.
func TestClustersReachTheDiskAsTheyClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progressive.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	cfg := codec.DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyframeInterval = 320, 180, 300_000, 150
	if c.video, err = codec.NewVP8Encoder(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.video.Close)
	if err := c.write(w, 3500*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := mediatest.WebMElements(data)[mediatest.EBMLCluster]; n < 3 {
		t.Errorf("%d clusters on the disk after 3.5 s of media, want 3 (clusters of at most 1 s written as they close)", n)
	}
}

// TestStopReportsABackgroundSyncFailure: a background sync that failed
// (EIO) ends the recording's writing; Stop reports it even though the
// last sync, at Close, succeeds.
func TestStopReportsABackgroundSyncFailure(t *testing.T) {
	var calls atomic.Int32
	replaceSync(t, func(f *os.File, sync func(*os.File) error) error {
		if calls.Add(1) == 1 {
			return syscall.EIO
		}
		return sync(f)
	})
	r := startRecording(t)
	c := newClip(t)
	key, err := c.videoFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	r.Video(key)
	a, err := c.audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 { // 8 s of sound: a sync at 5 s, which fails
		a.PTS = time.Duration(i) * 20 * time.Millisecond
		r.Audio(a)
		if i%100 == 99 {
			time.Sleep(30 * time.Millisecond) // the queue drains
		}
	}
	waitFor(t, 5*time.Second, "Err after the failed sync", func() bool { return r.Err() != nil })
	if _, err := r.Stop(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Stop = %v, want the background sync's EIO (the file stopped taking media)", err)
	}
}

// TestCloseReportsItsOwnSyncFailure: the sync Close does to put the
// finished file on the disk fails (EIO): Close, and so the recording's
// stop, says so.
func TestCloseReportsItsOwnSyncFailure(t *testing.T) {
	replaceSync(t, func(*os.File, func(*os.File) error) error { return syscall.EIO })
	w, err := CreateWebM(filepath.Join(t.TempDir(), "out.webm"), WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Close = %v, want its sync's EIO", err)
	}
}
