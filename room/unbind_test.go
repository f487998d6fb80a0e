package room

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// TestUnboundReceiversAreLetGo: receivers of a room's shared track that
// left are not kept reachable by the track. pion's Unbind shortens its
// list of bindings without clearing the places freed, so each receiver's
// writer (in a server: its sender, transport, ICE agent and NACK buffers,
// some 180 KiB) stayed reachable until the room closed: a peak of 40
// viewers who all left kept ~7 MB while the room went on.
func TestUnboundReceiversAreLetGo(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	stay := &fakeBinding{id: "stay", ssrc: 1}
	if _, err := video.Bind(stay); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var freed atomic.Int32
	func() {
		bs := make([]*fakeBinding, n)
		for i := range bs {
			bs[i] = &fakeBinding{id: fmt.Sprint("v", i), ssrc: webrtc.SSRC(100 + i)}
			runtime.SetFinalizer(bs[i], func(*fakeBinding) { freed.Add(1) })
			if _, err := video.Bind(bs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if err := video.Unbind(b); err != nil {
				t.Fatal(err)
			}
		}
	}()
	for deadline := time.Now().Add(2 * time.Second); freed.Load() < n && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := freed.Load(); got < n {
		t.Errorf("%d of %d receivers that left are still reachable from the track", n-got, n)
	}
	// The one still bound still gets the mix.
	before := len(stay.headers)
	if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, PTS: time.Second / 30}); err != nil {
		t.Fatal(err)
	}
	if len(stay.headers) != before+1 {
		t.Errorf("the receiver still bound got %d packets, want 1", len(stay.headers)-before)
	}
	runtime.KeepAlive(video)
}

// TestUnbindWhileWriting: receivers bound and unbound (as pion's
// ReplaceTrack does: Unbind, then Bind under the same id) while the mix is
// written; one bound again gets it.
func TestUnbindWhileWriting(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, PTS: time.Duration(i) * time.Second / 30})
		}
	}()
	for i := 0; i < 2000; i++ {
		b := &fakeBinding{id: "r", ssrc: 5, mute: true}
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
		if err := video.Unbind(b); err != nil {
			t.Fatal(err)
		}
	}
	// ReplaceTrack's sequence: Unbind, then Bind again with the same id.
	b := &fakeBinding{id: "again", ssrc: 6}
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := video.Unbind(b); err != nil {
		t.Fatal(err)
	}
	b2 := &fakeBinding{id: "again", ssrc: 6}
	if _, err := video.Bind(b2); err != nil {
		t.Fatal(err)
	}
	if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, PTS: time.Hour}); err != nil {
		t.Fatalf("rebound receiver: %v", err)
	}
	if len(b2.headers) != 1 {
		t.Errorf("rebound receiver got %d packets, want 1", len(b2.headers))
	}
}
