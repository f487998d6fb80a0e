package loadtest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestCodecCostCountsOnlyTheCodecs: the codec cost is the codecs' CPU
// time. Another thread of the load tool busy meanwhile (Go's runtime, a
// participant's goroutines in the measurement after the run) must not
// count in it: measured with a thread spinning beside it, the decoding
// of the same clip costs what it costs alone, not twice as much.
func TestCodecCostCountsOnlyTheCodecs(t *testing.T) {
	pkts, info, err := readPackets(mediatest.TestdataPath(t, "p01.ivf"), codec.Video, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cp := &clipPackets{video: pkts, videoCodec: info.VideoCodec}
	measure := func() time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			d, err := videoDecodeCost(cp)
			if err != nil {
				t.Fatal(err)
			}
			best = min(best, d)
		}
		return best
	}
	alone := measure()
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		runtime.LockOSThread()
		for !stop.Load() {
		}
	})
	busy := measure()
	stop.Store(true)
	wg.Wait()
	t.Logf("decode cost alone %v, with a thread spinning beside it %v (per second of media)", alone, busy)
	if busy > alone*3/2 {
		t.Errorf("decode cost %v with another thread busy, %v alone: the other thread's CPU counted", busy, alone)
	}
}
