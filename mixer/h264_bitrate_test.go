package mixer

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"mcu/codec"
)

// TestH264OutputFollowsTheBitrate: the H.264 output is
// encoded at the room's bitrate as it changes (a receiver's loss lowers
// it, and H.264 receivers are the ones who need it lowered), in place:
// the encoder the run opened ends at the last job's bitrate.
func TestH264OutputFollowsTheBitrate(t *testing.T) {
	defer func(open func(codec.H264Config) (*codec.H264Encoder, error)) { newH264Encoder = open }(newH264Encoder)
	var mu sync.Mutex
	var encs []*codec.H264Encoder
	newH264Encoder = func(c codec.H264Config) (*codec.H264Encoder, error) {
		e, err := codec.NewH264Encoder(c)
		mu.Lock()
		encs = append(encs, e)
		mu.Unlock()
		return e, err
	}
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	h := &h264Pipe{cfg: cfg.H264(), out: &capture{}, stats: &stats{}, log: slog.Default(), block: true,
		fail: func(err error) { t.Errorf("output failed: %v", err) }}
	pic, err := codec.NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	c := newCanvas(pic, 0)
	for i := range 20 {
		bps := 500_000
		if i >= 10 {
			bps = 200_000 // lowered for a lossy receiver
		}
		h.offer(encodeJob{c: c, pts: time.Duration(i) * time.Second / 30, bitrate: bps}, false)
	}
	h.stop()
	h.wait()
	mu.Lock()
	defer mu.Unlock()
	if len(encs) != 1 || encs[0] == nil {
		t.Fatalf("%d encoders opened, want 1", len(encs))
	}
	if got := encs[0].Config().Bitrate; got != 200_000 {
		t.Errorf("the H.264 encoder ends at %d bit/s, want the lowered 200000", got)
	}
}
