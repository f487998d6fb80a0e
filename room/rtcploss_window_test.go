package room

import (
	"slices"
	"testing"

	"github.com/pion/rtcp"
)

// TestLossWindowScripts: the loss figures a receiver's reports make.
func TestLossWindowScripts(t *testing.T) {
	type rep struct{ highest, lost uint32 }
	tests := []struct {
		name    string
		reports []rep
		want    []uint8
	}{
		{
			// More packets made good (duplicates, late retransmissions)
			// than lost over a window: no loss, not a negative count read
			// as 90 %.
			name:    "count goes down over a window",
			reports: []rep{{1000, 5}, {1025, 3}},
			want:    []uint8{0},
		},
		{
			// A report a little older than the last says nothing: the
			// next window counts from the newer one (20 packets from
			// 1020, 2 lost: 25/256), not from the older one.
			name:    "an older report in between",
			reports: []rep{{1000, 0}, {1020, 0}, {1010, 0}, {1030, 2}, {1040, 2}, {1050, 2}},
			want:    []uint8{0, 25},
		},
	}
	for _, tt := range tests {
		var w lossWindow
		var got []uint8
		for _, r := range tt.reports {
			if f, ok := w.add(rtcp.ReceptionReport{LastSequenceNumber: r.highest, TotalLost: r.lost}); ok {
				got = append(got, f)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: loss figures %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLossPercentRoundsUp: a fraction lost in whole percent, rounded up:
// one packet lost counts.
func TestLossPercentRoundsUp(t *testing.T) {
	for _, tt := range []struct {
		fraction uint8
		want     int
	}{{0, 0}, {1, 1}, {2, 1}, {3, 2}, {128, 50}, {254, 100}, {255, 100}} {
		if got := lossPercent(tt.fraction); got != tt.want {
			t.Errorf("lossPercent(%d) = %d, want %d", tt.fraction, got, tt.want)
		}
	}
}
