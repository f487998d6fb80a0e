package room

import (
	"fmt"
	"runtime"
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
