package room

import "testing"

// TestAudioJitterStatsCount: each event of a script of arrivals is counted
// once in AudioStats: a reordered packet in time, a duplicate of a held
// packet (late), a jump too far ahead to hold (a gap), and a gap given up
// with two packets held behind it, then a jump (one gap each, none for the
// second held packet, which follows the first without a gap).
func TestAudioJitterStatsCount(t *testing.T) {
	pkts := voicedOpus(t, 8)
	j := testJitter(t)
	steps := []struct {
		seq  uint16
		what string
		want AudioStats
	}{
		{10, "first", AudioStats{}},
		{11, "in order", AudioStats{}},
		{13, "after a missing one: held", AudioStats{}},
		{14, "held too", AudioStats{}},
		{14, "a duplicate of a held packet", AudioStats{Late: 1}},
		{12, "the missing one, in time", AudioStats{Late: 1, Reordered: 1}},
		{15 + 40, "too far ahead to hold", AudioStats{Late: 1, Reordered: 1, Gaps: 1}},
		{57, "after a missing one: held", AudioStats{Late: 1, Reordered: 1, Gaps: 1}},
		{58, "held too", AudioStats{Late: 1, Reordered: 1, Gaps: 1}},
		{58 + 40, "too far ahead: 56 given up, 57 and 58 decoded", AudioStats{Late: 1, Reordered: 1, Gaps: 3}},
	}
	for i, s := range steps {
		j.Push(s.seq, pkts[i%len(pkts)])
		got := j.Stats()
		got.Underruns, got.Dropped, got.LagMS, got.Paced = 0, 0, 0, 0
		if got != s.want {
			t.Fatalf("step %d, packet %d (%s): stats %+v, want %+v", i, s.seq, s.what, got, s.want)
		}
		if j.nheld < 0 || j.nheld > heldSlots {
			t.Fatalf("step %d: %d packets held", i, j.nheld)
		}
	}
	if j.nheld != 0 {
		t.Errorf("%d packets counted as held at the end, want 0", j.nheld)
	}
}
