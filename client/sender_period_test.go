package client

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestSoundLoopsWithAPictureOfAnyLength: beside a picture whose loop is
// not a whole number of sound packets (90 pictures at 29.97 fps, 3.003 s),
// no sound packet steps the RTP clock less than it codes, which would
// overlap it with the next loop's first and send more sound than time
// passes; and beside one a few nanoseconds short of it (90 pictures of
// a raw H.264 stream at 30 fps, each 33333333 ns), no packet is left out.
func TestSoundLoopsWithAPictureOfAnyLength(t *testing.T) {
	for _, c := range []struct {
		period  time.Duration
		packets int
	}{
		{3003 * time.Millisecond, 150},
		{90 * (time.Second / 30), 150},
	} {
		var steps, coded time.Duration
		n := 0
		write := func(s media.Sample) error {
			d, _ := codec.OpusPacketDuration(s.Data)
			steps += s.Duration
			coded += d
			n++
			if s.Duration < d-time.Millisecond {
				t.Errorf("a loop of %v: a packet coding %v steps %v", c.period, d, s.Duration)
			}
			return nil
		}
		length, err := sendOnce(context.Background(), mediatest.TestdataPath(t, "p01.ogg"), codec.Audio, write, time.Now().Add(-time.Hour), 0, c.period)
		if err != nil {
			t.Fatal(err)
		}
		if length != c.period || steps != c.period || n != c.packets {
			t.Errorf("a loop of %v: length %v, steps %v, %d packets; want %v, %v, %d", c.period, length, steps, n, c.period, c.period, c.packets)
		}
	}
}
