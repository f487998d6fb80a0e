//go:build cgo

package recorder

import (
	"os"
	"testing"
	"time"
)

// TestSlowSyncDropsNothing: a sync of the recording's file that
// takes 3 s (a saturated disk, NFS) holds neither the frames' queue nor the
// writer: sound handed over at four times its pace through two syncs (at 5
// and 10 s of media) is all written, none dropped, and no Audio call waits.
func TestSlowSyncDropsNothing(t *testing.T) {
	replaceSync(t, func(f *os.File, sync func(*os.File) error) error {
		time.Sleep(3 * time.Second)
		return sync(f)
	})
	r := startRecording(t)
	c := newClip(t)
	key, _ := c.videoFrame(0)
	r.Video(key)
	a, err := c.audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	var slowest time.Duration
	for i := range 750 { // 15 s of sound in ~4 s
		a.PTS = time.Duration(i) * 20 * time.Millisecond
		start := time.Now()
		r.Audio(a)
		slowest = max(slowest, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
	if slowest > 50*time.Millisecond {
		t.Errorf("an Audio call took %v", slowest)
	}
	if _, err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if v, a := r.droppedVideo.Load(), r.droppedAudio.Load(); v+a > 0 {
		t.Errorf("%d pictures and %d sound frames dropped behind a slow sync, want none", v, a)
	}
}
