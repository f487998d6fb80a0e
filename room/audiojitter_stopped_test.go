package room

import "testing"

// TestAudioJitterStoppedSenderCountsNoUnderruns: a participant who stops
// sending audio for 10 s (keeping their session and camera), then sends
// again, numbering on: the room's description counts at most the first
// second of it as underruns, not every tick of it.
func TestAudioJitterStoppedSenderCountsNoUnderruns(t *testing.T) {
	pkts := voicedOpus(t, 200)
	ticks := steady(100)
	for range 500 {
		ticks = append(ticks, tick{})
	}
	ticks = append(ticks, tick{100, 101})
	for i := 102; i < 200; i++ {
		ticks = append(ticks, tick{i})
	}
	_, j := play(t, pkts, 65000, ticks)
	if st := j.Stats(); st.Underruns > 50 || st.Gaps != 0 {
		t.Errorf("%+v; want at most 50 underruns (the first second) and no gap", st)
	}
}
