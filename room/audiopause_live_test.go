package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestAudioPausesWithoutDTXPacketsLive: a pion client sends Opus that
// stops for 800 ms after each second of sound, sending nothing in the
// pause (its sequence numbers go on, its timestamps jump over the pause:
// a gateway in discontinuous transmission, or Chrome whose one DTX
// packet of the pause was lost), three times over. The room's description
// counts the pauses as no underruns: they are the sender's silence, not
// packets the network held up.
func TestAudioPausesWithoutDTXPacketsLive(t *testing.T) {
	tracks, r := audioSender(t, testManager(t), 1, false)
	pkts := voicedOpus(t, 50)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	seq, ts := uint16(100), uint32(5000)
	for range 3 {
		for i := range 50 + 40 {
			<-tick.C
			if i < 50 {
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: i == 0}, Payload: pkts[i]}
				if err := tracks[0].WriteRTP(pkt); err != nil {
					t.Fatal(err)
				}
				seq++
			}
			ts += opusFrame
		}
	}
	// The last pause ends with a packet.
	<-tick.C
	if err := tracks[0].WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, Payload: pkts[0]}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	for _, p := range r.Info().Participants {
		// A few underruns may come of a loaded machine's scheduling; the
		// pauses, taken for a stall, would count 40 each.
		if p.Audio != nil && p.Audio.Underruns >= 20 {
			t.Errorf("%+v: the sender's pauses counted as underruns", *p.Audio)
		}
	}
}
