package room

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// TestAudioJitterPausesWithoutDTXPackets: a sender that sends nothing in
// its pauses, its RTP timestamps jumping over them (a gateway in
// discontinuous transmission that sends no DTX packet, or Chrome's single
// DTX packet of the pause lost on the way: WebRTC sends the first only),
// talks for a second, then pauses for two, six times over (a DTX packet
// comes in every third pause, is lost in the next, is not sent in the
// next). The pauses are the sender's: no underrun, the target kept,
// so that the tone is heard as soon after its first packet after each
// pause as at the start (raised by every pause taken for a stall, the
// target would hold each utterance back up to 140 ms more).
func TestAudioJitterPausesWithoutDTXPackets(t *testing.T) {
	const talk, pause = 50, 100
	enc := browserOpusEncoder(t, 24_000)
	pcm := make([]int16, opusFrame)
	buf := make([]byte, 1500)
	j := testJitter(t)
	now := time.Unix(1000, 0)
	j.in.now = func() time.Time { return now } // 18 s of audio, in far less
	seq, ts, n := uint16(65000), uint32(math.MaxUint32-100*960), 0
	var got [][]int16
	var starts []int
	out := make([]int16, audio.FrameLen)
	for s := range 6 {
		starts = append(starts, len(got))
		for i := range talk + pause {
			if s == 5 && i == talk {
				break // the last: no pause after it
			}
			if i < talk {
				for k := range pcm {
					pcm[k] = int16(toneAmp * math.Sin(2*math.Pi*toneHz*float64(n)/codec.OpusSampleRate))
					n++
				}
				k, err := enc.Encode(pcm, buf)
				if err != nil {
					t.Fatal(err)
				}
				j.PushRTP(seq, ts, buf[:k])
				seq++
			} else if i == talk {
				switch s % 3 {
				case 0: // the pause's DTX packet (the TOC alone)
					j.PushRTP(seq, ts, []byte{buf[0] &^ 3})
					seq++
				case 1: // the pause's DTX packet, lost
					seq++
				}
			}
			ts += opusFrame
			now = now.Add(audio.FrameDuration)
			ok, err := j.AudioAt(context.Background(), 0, out)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, slices.Clone(out))
			} else {
				got = append(got, nil)
			}
		}
	}
	if st := j.Stats(); st.Underruns != 0 || st.Dropped != 0 {
		t.Errorf("%+v; want no underruns, nothing dropped", st)
	}
	delay := func(start int) int {
		for i := start; i < len(got); i++ {
			if peak16(got[i]) > toneAmp/6 {
				return i - start
			}
		}
		return -1
	}
	first := delay(0)
	for s, start := range starts[1:] {
		if d := delay(start); d != first {
			t.Errorf("after pause %d the tone is heard %d ticks after its first packet, at the start %d", s+1, d, first)
		}
	}
}
