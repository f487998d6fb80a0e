package room

import (
	"context"
	"testing"
	"time"

	"mcu/audio"
)

// TestAudioJitterStallWithTimestampsIsLateness: packets stamped with
// their RTP time, held up 200 ms by the network then delivered in a
// burst: the queue's running dry meanwhile is lateness, not the sender's
// silence (the timestamps run on with the numbers): it counts as
// underruns and deepens the queue, so that the next stall is hidden.
func TestAudioJitterStallWithTimestampsIsLateness(t *testing.T) {
	pkts := voicedOpus(t, 200)
	j := testJitter(t)
	now := time.Unix(1000, 0)
	j.in.now = func() time.Time { return now }
	out := make([]int16, audio.FrameLen)
	seq, ts := uint16(65500), uint32(1<<32-50*opusFrame)
	push := func(i int) {
		j.PushRTP(seq+uint16(i), ts+uint32(i)*opusFrame, pkts[i])
	}
	for tick := range 200 {
		switch {
		case tick < 100 || tick >= 110:
			push(tick)
		case tick == 109: // the ten packets held up come with the tenth
			for i := 100; i < 110; i++ {
				push(i)
			}
		}
		now = now.Add(audio.FrameDuration)
		if _, err := j.AudioAt(context.Background(), 0, out); err != nil {
			t.Fatal(err)
		}
	}
	if st := j.Stats(); st.Underruns == 0 || st.LagMS == 0 {
		t.Errorf("%+v; want underruns and a deeper queue after a 200 ms stall", st)
	}
}
