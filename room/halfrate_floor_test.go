package room

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestWholeReceiverEstimateKeepsTheFloor: a receiver sent every frame (a
// lone one: nobody to be halved for) whose link loses half the mix has
// its estimate stop at the floor, as before half rate: under it, the mix
// (held at the floor anyway) would wait for the estimate to grow back
// from half the floor, some 9 s at 8 % a second, once the link recovers.
func TestWholeReceiverEstimateKeepsTheFloor(t *testing.T) {
	m := testManager(t)
	drop := &dropPackets{mime: webrtc.MimeTypeVP8, n: 2}
	r := joinConnected(t, m, Participant, dropClient(t, drop))
	time.Sleep(6 * time.Second)
	info := r.Info()
	if len(info.Participants) != 1 {
		t.Fatalf("%d participants, want 1", len(info.Participants))
	}
	p := info.Participants[0]
	t.Logf("estimate %d, half rate %v, mix %d, floor %d", p.Downlink, p.HalfFrameRate, info.Mixer.Bitrate, info.Mixer.MinBitrate)
	if p.HalfFrameRate {
		t.Fatal("a lone receiver is on half rate")
	}
	if p.Downlink == 0 || p.Downlink < info.Mixer.MinBitrate {
		t.Errorf("the lone receiver's estimate is %d, under the floor %d", p.Downlink, info.Mixer.MinBitrate)
	}
}
