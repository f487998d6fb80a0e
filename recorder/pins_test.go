//go:build cgo

package recorder

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestHeldAudioIsBounded: a writer waiting for its first keyframe
// holds at most two seconds of sound (maxPending), dropping the oldest and
// counting each; the file then starts at the keyframe, as ever.
func TestHeldAudioIsBounded(t *testing.T) {
	w, err := CreateWebM(filepath.Join(t.TempDir(), "held.webm"), WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	a, err := c.audioFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 { // 20 s of sound, no keyframe
		a.PTS = time.Duration(i) * 20 * time.Millisecond
		if err := w.WriteAudio(a); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.pending) != maxPending || w.DroppedBeforeStart != 1000-maxPending {
		t.Errorf("%d frames held, %d dropped; want %d and %d", len(w.pending), w.DroppedBeforeStart, maxPending, 1000-maxPending)
	}
	if w.pending[0].PTS != time.Duration(1000-maxPending)*20*time.Millisecond {
		t.Errorf("oldest held frame at %v: the newest must be kept", w.pending[0].PTS)
	}
}

// TestBigClustersReachTheDisk: a cluster also closes once it holds
// 4 MiB, whatever its time: pictures of 1 MiB, ten in 300 ms, leave at
// least two clusters on the disk (one keyframe, then deltas: the
// clusters' keyframe rule does not close them) before Close (what a kill leaves, and
// what the muxer holds in memory).
func TestBigClustersReachTheDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30, NoAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rnd := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	for i := range 10 {
		if err := w.WriteVideo(codec.EncodedFrame{Data: data, PTS: time.Duration(i) * 30 * time.Millisecond, Duration: 30 * time.Millisecond, Key: i == 0}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := mediatest.WebMElements(b)[mediatest.EBMLCluster]; n < 2 || len(b) < 8<<20 {
		t.Errorf("%d clusters, %d bytes on the disk after 10 MiB written in 300 ms; want clusters of at most 4 MiB written as they close", n, len(b))
	}
	_ = bytes.MinRead
}

// TestSafeName: room names become file and folder names as they are.
func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"room": true, "a_b-C9": true, strings.Repeat("r", 64): true,
		"": false, strings.Repeat("r", 65): false, "-rf": false, "..": false, "a/b": false, "a b": false, "é": false, "a.webm": false,
	} {
		if got := SafeName(name); got != want {
			t.Errorf("SafeName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestFramesWhileStopping: frames handed on from several goroutines
// while several Stops run: no panic (a send on the closed queue), every
// Stop gets the same path and error, the file is kept.
func TestFramesWhileStopping(t *testing.T) {
	r := startRecording(t)
	c := newClip(t)
	key, _ := c.videoFrame(0)
	a, _ := c.audioFrame(0)
	r.Video(key)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 1; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				f := a
				f.PTS = time.Duration(g*1_000_000+i) * time.Millisecond
				r.Audio(f)
				r.Video(key)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	type res struct {
		path string
		err  error
	}
	out := make(chan res, 3)
	for range 3 {
		go func() { p, err := r.Stop(); out <- res{p, err} }()
	}
	first := <-out
	for range 2 {
		if o := <-out; o != first {
			t.Errorf("Stops disagree: %v and %v", o, first)
		}
	}
	close(done)
	wg.Wait()
	if _, err := os.Stat(first.path); err != nil {
		t.Errorf("file: %v", err)
	}
}
