package room

import (
	"testing"

	"github.com/pion/rtcp"
)

// TestLossWindowCountGoesDown: a receiver's cumulative loss may go down
// (RFC 3550 6.4.1: a duplicate or a late retransmission counts as
// received), and the window reads that 24-bit change with its sign: one
// packet lost then made good over 25 is no loss, not 2^24-1 packets lost.
func TestLossWindowCountGoesDown(t *testing.T) {
	var w lossWindow
	var got []uint8
	for _, b := range []rtcp.ReceptionReport{
		{LastSequenceNumber: 1000, TotalLost: 5},
		{LastSequenceNumber: 1010, TotalLost: 6},
		{LastSequenceNumber: 1025, TotalLost: 5},
	} {
		if f, ok := w.add(b); ok {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0] != 0 {
		t.Errorf("loss figures %v, want one of 0 (the one packet lost came after all)", got)
	}
	// The next window counts from the lower count: one more lost in 20 is
	// 256/20 (12), not that packet and the one made good.
	for _, b := range []rtcp.ReceptionReport{
		{LastSequenceNumber: 1035, TotalLost: 5},
		{LastSequenceNumber: 1045, TotalLost: 6},
	} {
		if f, ok := w.add(b); ok {
			got = append(got, f)
		}
	}
	if len(got) != 2 || got[1] != 12 {
		t.Errorf("loss figures %v, want [0 12]", got)
	}
}
