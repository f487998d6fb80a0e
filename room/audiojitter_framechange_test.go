package room

import (
	"context"
	"math"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// TestAudioJitterLostLongerPacketsAreNoPause: a sender that goes from
// 20 ms packets to 60 ms ones (an encoder adapting its frame length to a
// poor network) loses the first two of them: the 120 ms the queue runs
// dry is lost sound, not the sender's silence, and counts as underruns.
// The timestamps jump by more than two 20 ms packets, but the packets
// numbered in between were 60 ms long.
func TestAudioJitterLostLongerPacketsAreNoPause(t *testing.T) {
	enc := browserOpusEncoder(t, 24_000)
	buf := make([]byte, 1500)
	j := testJitter(t)
	now := time.Unix(1000, 0)
	j.in.now = func() time.Time { return now }
	n := 0
	encode := func(samples int) []byte {
		pcm := make([]int16, samples)
		for k := range pcm {
			pcm[k] = int16(toneAmp * math.Sin(2*math.Pi*toneHz*float64(n)/codec.OpusSampleRate))
			n++
		}
		k, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:k]
	}
	seq, ts := uint16(100), uint32(5000)
	out := make([]int16, audio.FrameLen)
	for tick := range 100 {
		switch {
		case tick < 50: // 20 ms packets
			j.PushRTP(seq, ts, encode(opusFrame))
			seq, ts = seq+1, ts+opusFrame
		case tick%3 == 2: // a 60 ms packet every third tick, the first two lost
			p := encode(3 * opusFrame)
			if tick > 56 {
				j.PushRTP(seq, ts, p)
			}
			seq, ts = seq+1, ts+3*opusFrame
		}
		now = now.Add(audio.FrameDuration)
		if _, err := j.AudioAt(context.Background(), 0, out); err != nil {
			t.Fatal(err)
		}
	}
	if st := j.Stats(); st.Underruns == 0 {
		t.Errorf("%+v; want underruns for the 120 ms lost", st)
	}
}
