package loadtest

import (
	"context"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/mixer"
)

// eachCallTakes has every codec measurement take d of CPU, whatever it
// did, for the rest of the test.
func eachCallTakes(t *testing.T, d time.Duration) {
	t.Cleanup(func() { codecCPU = threadCPU })
	codecCPU = func(f func() error) (time.Duration, error) { return d, f() }
}

// TestEncodeCostsArePerSecondOfMedia: the encode costs are CPU time per
// second of media, whatever length of it was measured (the load tool's
// -cost is 10 s by default): with every encode taking 1 ms, the VP8 and
// H.264 encodes of the composite at 30 frames a second cost 30 ms a
// second over 0.5 s and over 2 s of media, and the Opus encodes of the
// mixes, all of a 20 ms frame's in one measurement, 50 ms a second over
// 0.2 s and 1 s.
func TestEncodeCostsArePerSecondOfMedia(t *testing.T) {
	pkts, info, err := readPackets(mediatest.TestdataPath(t, "p01.ivf"), codec.Video, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	video := []*clipPackets{{video: pkts, videoCodec: info.VideoCodec}}
	var audio []*clipPackets
	for _, f := range []string{"p01.ogg", "p02.ogg"} {
		pkts, _, err := readPackets(mediatest.TestdataPath(t, f), codec.Audio, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		audio = append(audio, &clipPackets{audio: pkts})
	}
	mcfg := mixer.DefaultConfig()
	mcfg.Video.Width, mcfg.Video.Height, mcfg.Video.FPS = 320, 180, 30
	eachCallTakes(t, time.Millisecond)
	for _, media := range []time.Duration{500 * time.Millisecond, 2 * time.Second} {
		vp8, avc, err := videoEncodeCost(context.Background(), video, mcfg, media, true)
		if err != nil {
			t.Fatal(err)
		}
		if vp8 != 30*time.Millisecond || avc != 30*time.Millisecond {
			t.Errorf("over %v of media: VP8 %v, H.264 %v a second; want 30ms each", media, vp8, avc)
		}
	}
	for _, media := range []time.Duration{200 * time.Millisecond, time.Second} {
		opus, encoders, err := audioEncodeCost(audio, codec.DefaultOpusConfig(), 0, media)
		if err != nil {
			t.Fatal(err)
		}
		if opus != 50*time.Millisecond || encoders != 3 {
			t.Errorf("over %v of media: Opus %v a second by %d encoders; want 50ms by 3", media, opus, encoders)
		}
	}
}
