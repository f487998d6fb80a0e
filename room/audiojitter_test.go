package room

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/audio"
	"mcu/codec"
	"mcu/internal/mediatest"
)

// testJitter is an audioJitter with no metrics.
func testJitter(t *testing.T) *audioJitter {
	t.Helper()
	j, err := newAudioJitter(nopObserver{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// tick is what reaches an audioJitter between two of the mixer's pulls:
// packets, as indices into the test's packets, sent with sequence number
// base+index.
type tick []int

// play runs ticks through a new audioJitter, pulling one frame after each,
// and returns what the mixer got: a frame per tick, nil for a silent one.
func play(t *testing.T, pkts [][]byte, base uint16, ticks []tick) ([][]int16, *audioJitter) {
	t.Helper()
	j := testJitter(t)
	var got [][]int16
	pcm := make([]int16, audio.FrameLen)
	for _, tk := range ticks {
		for _, i := range tk {
			j.Push(base+uint16(i), pkts[i])
		}
		ok, err := j.AudioAt(context.Background(), 0, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			got = append(got, slices.Clone(pcm))
		} else {
			got = append(got, nil)
		}
	}
	return got, j
}

// steady is n ticks of one packet each, in order, after a first tick with
// packets 0 and 1 (the queue starts playing at two frames).
func steady(n int) []tick {
	ticks := []tick{{0, 1}}
	for i := 2; i < n; i++ {
		ticks = append(ticks, tick{i})
	}
	return ticks
}

// silent counts the silent ticks.
func silent(frames [][]int16) int {
	n := 0
	for _, f := range frames {
		if f == nil {
			n++
		}
	}
	return n
}

// TestAudioJitterTickDoesNotWaitForPush: while a Push holds the jitter
// buffer (decoding a burst), the mixer's tick plays what is queued and
// returns, rather than waiting for the Push to end.
func TestAudioJitterTickDoesNotWaitForPush(t *testing.T) {
	pkts := voicedOpus(t, 4)
	j := testJitter(t)
	for i := range 3 {
		j.Push(uint16(i), pkts[i])
	}
	j.mu.Lock() // a Push under way
	played := make(chan bool, 1)
	go func() {
		ok, _ := j.AudioAt(context.Background(), 0, make([]int16, audio.FrameLen))
		played <- ok
	}()
	select {
	case ok := <-played:
		j.mu.Unlock()
		if !ok {
			t.Error("the tick found nothing to play with three frames queued")
		}
	case <-time.After(5 * time.Second):
		j.mu.Unlock()
		<-played
		t.Error("the tick waited for the Push")
	}
}

// TestAudioJitterReorders: a packet that arrives after the next one, but
// before its turn to play, is heard exactly as if nothing had been
// reordered: no concealment, no silent tick, no extra delay. The numbers
// wrap around on the way.
func TestAudioJitterReorders(t *testing.T) {
	pkts := voicedOpus(t, 30)
	const base = 65530
	want, _ := play(t, pkts, base, steady(30))
	if s := silent(want); s != 0 {
		t.Fatalf("%d silent ticks in order", s)
	}
	for _, tc := range []struct {
		name  string
		ticks []tick
	}{
		// 6 comes in the tick before 5; the queue holds 5's turn.
		{"swapped across ticks", with(steady(30), map[int]tick{5: {6}, 6: {5}})},
		// 5 and 6 come in one tick, 6 first.
		{"swapped within a tick", with(steady(30), map[int]tick{5: {}, 6: {6, 5}})},
		// 5, 6, 7 come backwards, 7 and 6 a tick early.
		{"three backwards", with(steady(30), map[int]tick{5: {7, 6}, 6: {5}, 7: {}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, j := play(t, pkts, base, tc.ticks)
			if len(got) != len(want) {
				t.Fatalf("%d ticks, want %d", len(got), len(want))
			}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Fatalf("tick %d differs from the in-order decode", i)
				}
			}
			if st := j.Stats(); st.Reordered == 0 || st.Gaps != 0 || st.Underruns != 0 {
				t.Errorf("%+v; want some reordered, no gaps, no underruns", st)
			}
		})
	}
}

// with returns ticks with the tick where steady sends packet i (i ≥ 2)
// replaced by at[i].
func with(ticks []tick, at map[int]tick) []tick {
	ticks = slices.Clone(ticks)
	for i, x := range at {
		ticks[i-1] = x
	}
	return ticks
}

// TestAudioJitterGivesUpInTime: a packet that never comes is made up for
// (from the next one's FEC) when its turn comes, with no silent tick; so
// is one that comes too late, which is then dropped.
func TestAudioJitterGivesUpInTime(t *testing.T) {
	pkts := voicedOpus(t, 30)
	inOrder, _ := play(t, pkts, 100, steady(30))
	for _, tc := range []struct {
		name  string
		ticks []tick
	}{
		{"lost", with(steady(30), map[int]tick{5: {}})},
		{"too late", with(steady(30), map[int]tick{5: {}, 10: {5, 10}})},
		{"two lost", with(steady(30), map[int]tick{5: {}, 6: {7}, 7: {}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, j := play(t, pkts, 100, tc.ticks)
			if s := silent(got); s != 0 {
				t.Errorf("%d silent ticks", s)
			}
			if st := j.Stats(); st.Gaps != 1 || st.Underruns != 0 {
				t.Errorf("%+v; want 1 gap, no underruns", st)
			}
			// Packet 5 plays at tick 5; it is made up for, and the stream
			// after it comes back to the lossless decode.
			if slices.Equal(got[5], inOrder[5]) {
				t.Error("the lost packet's frame equals the lossless decode")
			}
			if !slices.Equal(got[len(got)-1], inOrder[len(inOrder)-1]) {
				e, w := sqErr(got[len(got)-1], inOrder[len(inOrder)-1])
				if e > w/100 {
					t.Errorf("the stream does not come back after the gap: error energy %.3g of %.3g", e, w)
				}
			}
		})
	}
}

// TestAudioJitterConcealsADryTick: two packets in a row are lost, so the
// queue (a frame deep) runs dry at the first one's turn, before the packet
// after them comes. That tick plays the decoder's concealment, not
// silence; when the next packet comes, the second lost one is recovered
// from its FEC and the first, already concealed, is not made up for again:
// the stream goes on as many frames behind as before the loss. In an
// outage, concealment fills at most maxConcealed ticks, then silence.
func TestAudioJitterConcealsADryTick(t *testing.T) {
	pkts := voicedOpus(t, 30)
	inOrder, _ := play(t, pkts, 100, steady(30))
	got, j := play(t, pkts, 100, with(steady(30), map[int]tick{5: {}, 6: {}}))
	if s := silent(got); s != 0 {
		t.Errorf("%d silent ticks, want the dry one concealed", s)
	}
	if st := j.Stats(); st.Underruns != 1 || st.Gaps != 1 {
		t.Errorf("%+v; want one underrun and one gap", st)
	}
	// Played as far behind as before: the last tick's frame is the
	// lossless decode's last one (the decoder has come back by then).
	e, w := sqErr(got[len(got)-1], inOrder[len(inOrder)-1])
	if e > w/100 {
		t.Errorf("the stream is not where it was after the loss: error energy %.3g of %.3g", e, w)
	}

	// An outage: nothing from packet 5 to 24.
	outage := map[int]tick{}
	for i := 5; i < 25; i++ {
		outage[i] = tick{}
	}
	// Tick k plays packet k (the queue a frame deep): ticks 5 to 23 have
	// nothing of their own, and tick 24 plays packet 25, held until then.
	got, _ = play(t, pkts, 100, with(steady(30), outage))
	concealed := 0
	for i, f := range got[5:24] {
		if f == nil {
			continue
		}
		concealed++
		if energy(f) == 0 {
			t.Errorf("tick %d of the outage plays a silent frame", 5+i)
		}
	}
	if concealed != maxConcealed {
		t.Errorf("%d ticks of the outage concealed, want %d", concealed, maxConcealed)
	}
}

// TestAudioJitterOddNumbering: duplicates are dropped; a jump too far
// ahead to hold is decoded at once; a sender whose numbering goes back is
// followed after maxLateAudio packets.
func TestAudioJitterOddNumbering(t *testing.T) {
	pkts := voicedOpus(t, 4)
	j := testJitter(t)
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	queued := func() int {
		n := 0
		for j.out.Short() == false {
			if ok, _ := j.AudioAt(ctx, 0, pcm); !ok {
				break
			}
			n++
		}
		return n
	}
	j.Push(10, pkts[0])
	j.Push(11, pkts[1])
	j.Push(11, pkts[1])
	if n := queued(); n != 2 {
		t.Fatalf("%d frames after 10, 11, 11; want 2", n)
	}
	j.Push(12+heldSlots, pkts[2]) // far ahead: made up for (5 frames) and decoded
	if j.nheld != 0 {
		t.Errorf("%d packets held after a jump", j.nheld)
	}
	if n := queued(); n != maxConcealed+1 {
		t.Errorf("%d frames after a jump, want %d", n, maxConcealed+1)
	}
	for i := range maxLateAudio {
		j.Push(uint16(60000+i), pkts[3])
	}
	if n := queued(); n != 1 {
		t.Errorf("%d frames after %d packets numbered far back, want 1 (the last)", n, maxLateAudio)
	}
}

// TestAudioJitterAllocs: once every held slot and the PCM queue have
// grown, packets in order and gaps given up allocate nothing at all
// (checked over 5000 gaps).
func TestAudioJitterAllocs(t *testing.T) {
	pkts := voicedOpus(t, 2)
	j := testJitter(t)
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	var seq uint16
	// Every other packet comes after a lost one, which is given up at the
	// next pull: the held packets' numbers go up by 3, so they take every
	// slot in turn (3 and heldSlots have no common factor).
	steps := func(n int) {
		for i := range n {
			seq++
			if i%2 == 0 {
				seq++
			}
			j.Push(seq, pkts[seq%2])
			j.AudioAt(ctx, 0, pcm)
		}
	}
	steps(20 * heldSlots)
	// Each run has 100 gaps. AllocsPerRun counts the process's allocations
	// and rounds their mean per run down, so one allocation in a hundred
	// gaps still reads 1, while a few by other goroutines over the 50 runs
	// read 0.
	if n := testing.AllocsPerRun(50, func() { steps(200) }); n != 0 {
		t.Errorf("%.0f allocations per 200 packets, half of them after a gap", n)
	}
	if st := j.Stats(); st.Gaps == 0 {
		t.Errorf("no gap given up: %+v", st)
	}
}

// audioSender joins a pion client to room "x" of m as a participant that
// sends n audio tracks (and receives the mix's video), and returns the
// tracks once the connection is up, and the room. Its audio is sendrecv,
// as a browser's, or with sendOnly, sendonly.
func audioSender(t *testing.T, m *Manager, n int, sendOnly bool) ([]*webrtc.TrackLocalStaticRTP, *Room) {
	t.Helper()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	var tracks []*webrtc.TrackLocalStaticRTP
	for i := range n {
		track, err := webrtc.NewTrackLocalStaticRTP(audioCodec.RTPCodecCapability, fmt.Sprintf("audio%d", i), "client")
		if err != nil {
			t.Fatal(err)
		}
		if sendOnly {
			_, err = pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		} else {
			_, err = pc.AddTrack(track)
		}
		if err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, track)
	}
	return tracks, joinConnected(t, m, Participant, pc)
}

// sendPaced writes to track, one group every 20 ms, pkts[i] for each i of
// each group, numbered base+i.
func sendPaced(track *webrtc.TrackLocalStaticRTP, pkts [][]byte, base uint16, groups [][]int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, g := range groups {
		<-tick.C
		for _, i := range g {
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: base + uint16(i), Timestamp: uint32(960 * i)}, Payload: pkts[i]}
			if err := track.WriteRTP(pkt); err != nil {
				return err
			}
		}
	}
	return nil
}

// audioStatsBecome waits up to 5 s for the room's description to show its
// only participant's audio counts as want.
func audioStatsBecome(t *testing.T, r *Room, want AudioStats) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := r.Info()
		var got *AudioStats
		if len(info.Participants) == 1 {
			got = info.Participants[0].Audio
		}
		if got != nil && got.Reordered == want.Reordered && got.Gaps == want.Gaps && got.Late == want.Late {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room's description shows %+v (participants %d), want %+v", got, len(info.Participants), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAudioStatsLive: a pion client joins and sends Opus over RTP, one
// pair of packets swapped and one packet left out; the room's description
// shows the participant's audio with one packet reordered and one gap,
// and so do the server's metrics (the observer).
func TestAudioStatsLive(t *testing.T) {
	cfg := DefaultConfig()
	obs := &countingObserver{}
	cfg.Observer = obs
	tracks, r := audioSender(t, testManagerWith(t, cfg), 1, false)
	pkts := voicedOpus(t, 100)
	// Every 20 ms a packet, in order, but for 41, which comes just after
	// 42, in a burst ahead of time (so the queue is deep enough that the
	// mixer cannot need 41 between the two, however the goroutines run),
	// and 71, which never comes.
	var groups [][]int
	for i := 0; i < len(pkts); i++ {
		switch i {
		case 41:
			groups = append(groups, []int{42, 41, 43, 44})
			i = 44
		case 71:
			groups = append(groups, nil)
		default:
			groups = append(groups, []int{i})
		}
	}
	if err := sendPaced(tracks[0], pkts, 1000, groups); err != nil {
		t.Fatal(err)
	}
	audioStatsBecome(t, r, AudioStats{Reordered: 1, Gaps: 1})
	if got := [3]int64{obs.audio[AudioReordered].Load(), obs.audio[AudioGap].Load(), obs.audio[AudioLate].Load()}; got != [3]int64{1, 1, 0} {
		t.Errorf("the observer counted %v reordered, gaps, late; want [1 1 0]", got)
	}
}

// TestSecondAudioTrackIsNotMixed: a participant sending two audio tracks
// is heard through the first in their offer only, even when the second
// sends first. Through one jitter buffer, the two tracks' unrelated
// numbers would make every other packet a jump, each made up for by
// concealment; and the second track's gap here would show if it were the
// one heard.
func TestSecondAudioTrackIsNotMixed(t *testing.T) {
	tracks, r := audioSender(t, testManager(t), 2, false)
	pkts := voicedOpus(t, 50)
	if err := sendPaced(tracks[1], pkts, 30000, [][]int{{0}, {1}, {3}, {4}}); err != nil {
		t.Fatal(err)
	}
	var first, second [][]int
	for i := range pkts {
		first = append(first, []int{i})
		if i >= 5 {
			second = append(second, []int{i})
		}
	}
	done := make(chan error, 1)
	go func() { done <- sendPaced(tracks[1], pkts, 30000, second) }()
	if err := sendPaced(tracks[0], pkts, 1000, first); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	audioStatsBecome(t, r, AudioStats{})
}

// TestSendOnlyMicrophoneIsHeard: a participant whose offer only sends
// audio (pion then leaves the transceiver of the mix-minus it would have
// received unmatched) is heard.
func TestSendOnlyMicrophoneIsHeard(t *testing.T) {
	tracks, r := audioSender(t, testManager(t), 1, true)
	pkts := voicedOpus(t, 25)
	groups := make([][]int, len(pkts))
	for i := range groups {
		groups[i] = []int{i}
	}
	if err := sendPaced(tracks[0], pkts, 1000, groups); err != nil {
		t.Fatal(err)
	}
	audioStatsBecome(t, r, AudioStats{})
}

// FuzzAudioJitter drives an audioJitter with any order of packets and
// pulls (two bytes an operation: a pull, or a packet numbered the last
// one's plus a signed step). It must not panic, and must keep its count
// of held packets true and below heldSlots, each held packet in its own
// slot and ahead of the next one to decode (or the next one, left by a
// tick, until the next Push).
func FuzzAudioJitter(f *testing.F) {
	f.Add([]byte{1, 1, 1, 2, 0, 0, 1, 255, 0, 0, 1, 40})
	f.Add([]byte{1, 3, 1, 1, 0, 0, 0, 0, 1, 128, 1, 1})
	pkts := [][]byte{{0xfc, 0xff, 0xfe}, {0x08, 0x0b, 0xe4}, {}}
	f.Fuzz(func(t *testing.T, ops []byte) {
		j := testJitter(t)
		pcm := make([]int16, audio.FrameLen)
		seq := uint16(65000)
		for i := 0; i+1 < len(ops); i += 2 {
			if ops[i]%2 == 0 {
				j.AudioAt(context.Background(), 0, pcm)
			} else {
				seq += uint16(int8(ops[i+1]))
				j.Push(seq, pkts[int(ops[i])%len(pkts)])
			}
			pushed := ops[i]%2 != 0
			held := 0
			for k, h := range j.held {
				if !h.ok {
					continue
				}
				held++
				if int(h.seq)%heldSlots != k {
					t.Fatalf("packet %d held in slot %d", h.seq, k)
				}
				// The next packet may stay held after a tick gave up the
				// gap before it, not after a Push.
				if d := h.seq - j.next; d == 0 && pushed || d >= heldSlots {
					t.Fatalf("packet %d held with %d next", h.seq, j.next)
				}
			}
			if held != j.nheld || held >= heldSlots {
				t.Fatalf("%d packets held, nheld %d", held, j.nheld)
			}
		}
	})
}

// energy is the sum of the squares of pcm's samples.
func energy(pcm []int16) float64 {
	e := 0.0
	for _, v := range pcm {
		e += float64(v) * float64(v)
	}
	return e
}

// TestAudioJitterTickDecodesWhatItNeeds: a sender holds 30 packets behind
// a gap; the mixer's tick, finding the queue short, decodes only the first
// of them (its gap made up for), not all 30 in the room's goroutine (with
// 120 ms packets, 3.6 s of audio decoded in one tick, every receiver's
// picture and sound late); the sender's next packet decodes the rest.
func TestAudioJitterTickDecodesWhatItNeeds(t *testing.T) {
	pkts := voicedOpus(t, 40)
	j := testJitter(t)
	j.Push(0, pkts[0])
	for i := 2; i < 32; i++ { // packet 1 missing
		j.Push(uint16(i), pkts[i])
	}
	if j.nheld != 30 {
		t.Fatalf("%d packets held, want 30", j.nheld)
	}
	pcm := make([]int16, audio.FrameLen)
	if ok, _ := j.AudioAt(context.Background(), 0, pcm); !ok {
		t.Fatal("the tick played nothing after giving up the gap")
	}
	if j.nheld != 29 {
		t.Errorf("%d packets still held after the tick, want 29: it decoded %d", j.nheld, 30-j.nheld)
	}
	j.Push(32, pkts[32])
	if j.nheld != 0 || j.next != 33 {
		t.Errorf("after the next packet: %d held, next %d; want 0 and 33", j.nheld, j.next)
	}
	if st := j.Stats(); st.Gaps != 1 || st.Late != 0 {
		t.Errorf("%+v; want 1 gap, nothing late", st)
	}
}

// dtxTone is a call's sender in discontinuous transmission (Opus DTX):
// it talks for talk ticks (20 ms packets of a 440 Hz tone of amplitude
// toneAmp, encoded as voicedOpus does and as if there were no pauses,
// one packet of each spurt a tick late), then pauses for pause ticks, sending a DTX packet (the TOC
// alone, in every other pause with a byte more) every 400 ms, and so on
// for spurts. It returns the packets, the ticks they come in (for play)
// and the tick each spurt's first packet comes in.
func dtxTone(t *testing.T, spurts, talk, pause int) (pkts [][]byte, ticks []tick, starts []int) {
	t.Helper()
	enc := browserOpusEncoder(t, 24_000)
	pcm := make([]int16, opusFrame)
	buf := make([]byte, 1500)
	n := 0
	for s := range spurts {
		starts = append(starts, len(ticks))
		for i := range talk {
			for j := range pcm {
				pcm[j] = int16(toneAmp * math.Sin(2*math.Pi*toneHz*float64(n)/codec.OpusSampleRate))
				n++
			}
			k, err := enc.Encode(pcm, buf)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, slices.Clone(buf[:k]))
			switch i {
			case talk / 2: // late: it comes with the next one
				ticks = append(ticks, tick{})
			case talk/2 + 1:
				ticks = append(ticks, tick{len(pkts) - 2, len(pkts) - 1})
			default:
				ticks = append(ticks, tick{len(pkts) - 1})
			}
		}
		if s == spurts-1 {
			break
		}
		toc := pkts[len(pkts)-1][0] &^ 3 // one frame
		for i := range pause {
			if i%20 != 0 {
				ticks = append(ticks, tick{})
				continue
			}
			pkts = append(pkts, []byte{toc, 0}[:1+s%2])
			ticks = append(ticks, tick{len(pkts) - 1})
		}
	}
	return pkts, ticks, starts
}

const (
	toneAmp = 0.3 * 32767
	toneHz  = 440
)

// peak16 is the largest magnitude of pcm's samples (0 for a silent tick).
func peak16(pcm []int16) float64 {
	m := 0.0
	for _, v := range pcm {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}

// TestAudioJitterDTXPauses: a sender talks for a second, then pauses for
// two, sending a DTX packet every 400 ms, five times over. The pauses
// are not taken for a network that fails to deliver: no underrun, the
// target kept (the tone comes out as soon after its first packet after
// the fifth pause as at the start), nothing dropped. The pauses sound as
// the decoder's comfort noise, low and without the tone, and neither
// their start nor their end clicks.
func TestAudioJitterDTXPauses(t *testing.T) {
	const talk, pause = 50, 100
	// pauseMax is the loudest a pause's comfort noise may be, 16 dB under
	// the tone: libopus makes it from the sound before the pause, here the
	// tone itself (a sender's background noise, when it pauses in speech).
	const pauseMax = toneAmp / 6
	pkts, ticks, starts := dtxTone(t, 6, talk, pause)
	got, j := play(t, pkts, 40000, ticks)
	if st := j.Stats(); st.Underruns != 0 || st.Dropped != 0 || st.Gaps != 0 {
		t.Errorf("%+v; want no underruns, nothing dropped, no gaps", st)
	}
	// The tone's delay: from its first packet to the first tick it is
	// heard (louder than a pause may be), after each pause as at the
	// start.
	delay := func(start int) int {
		for i := start; i < len(got); i++ {
			if peak16(got[i]) > pauseMax {
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
		// The tone's first frames: no click on them. (The decoder, coming
		// out of its concealment into packets the encoder coded as if
		// there had been no pause, overshoots the tone by a fifth; two
		// frames spliced would add up to twice it.)
		for i := start; i < start+first+3; i++ {
			if p := peak16(got[i]); p > 1.3*toneAmp {
				t.Errorf("after pause %d, tick %d peaks at %.0f, the tone's amplitude %.0f", s+1, i-start, p, toneAmp)
			}
		}
	}
	// The pauses: past the fade of the tone (the first DTX packet's frame
	// and the concealment after it, up to maxConcealed frames, continue
	// it), low, with no tone left.
	var out []int16
	for _, f := range got {
		if f == nil {
			f = make([]int16, audio.FrameLen)
		}
		out = append(out, f...)
	}
	for s, start := range starts[1:] {
		from, to := start-pause+2+maxConcealed, start
		var quiet []int16
		for _, f := range got[from:to] {
			if p := peak16(f); p > pauseMax {
				t.Errorf("pause %d peaks at %.0f, want at most %.0f", s+1, p, pauseMax)
				break
			}
			if f != nil {
				quiet = append(quiet, f...)
			}
		}
		if l := mediatest.ToneLevel(quiet, 2, 0, codec.OpusSampleRate, toneHz, 0, 0); l > -40 {
			t.Errorf("pause %d: the tone at %.1f dBFS, want below -40", s+1, l)
		}
	}
	// No click anywhere: no step from one sample to the next larger than
	// twice the tone's own steepest (a cut to silence, or from it, would
	// step up to the tone's amplitude).
	steepest := toneAmp * 2 * math.Pi * toneHz / codec.OpusSampleRate
	for i := 2; i < len(out); i += 2 {
		if d := math.Abs(float64(out[i]) - float64(out[i-2])); d > 2*steepest {
			t.Errorf("a step of %.0f at tick %d, the tone's steepest is %.0f", d, i/audio.FrameLen, steepest)
			break
		}
	}
}

// TestAudioJitterDTXPacketInTheSound: a packet of the TOC alone that the
// sound follows at once (no pause) is decoded and played as any packet,
// and changes nothing else: with the queue a frame deep after a stall,
// every tick plays what a plain decoder gives for the same packets and
// the stall's concealment, at the same ticks, and only the stall counts
// as an underrun.
func TestAudioJitterDTXPacketInTheSound(t *testing.T) {
	const n, stall, short = 40, 10, 20
	pkts := voicedOpus(t, n)
	pkts[short] = pkts[short][:1]
	// Packets 0 and 1 in the first tick, then one a tick, but for two
	// ticks without any before packet stall: a dry tick, after which
	// each tick plays the packet it gets.
	ticks := []tick{{0, 1}}
	for i := 2; i < n; i++ {
		if i == stall {
			ticks = append(ticks, tick{}, tick{})
		}
		ticks = append(ticks, tick{i})
	}
	got, j := play(t, pkts, 500, ticks)
	if st := j.Stats(); st.Underruns != 1 || st.Gaps != 0 {
		t.Errorf("%+v; want one underrun (the stall), no gaps", st)
	}
	d, err := codec.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	var want [][]int16
	for i, p := range pkts {
		if i == stall {
			if err := d.Conceal(pcm[:audio.FrameLen]); err != nil {
				t.Fatal(err)
			}
			want = append(want, slices.Clone(pcm[:audio.FrameLen]))
		}
		k, err := d.Decode(p, pcm)
		if err != nil || k != opusFrame {
			t.Fatalf("packet %d: %d samples, %v", i, k, err)
		}
		want = append(want, slices.Clone(pcm[:2*k]))
	}
	if len(got) != len(want) {
		t.Fatalf("%d ticks, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("tick %d (silent %v) differs from the plain decode", i, got[i] == nil)
		}
	}
}

// TestAudioJitterPushVersusDryTick: a participant's Push (holding the jitter
// buffer, then the PCM queue) and the mixer's dry ticks (holding the
// queue, then asking the jitter buffer to conceal) run at once, for a
// second, many times over: neither may wait on the other for good. Taking
// the jitter buffer's lock in conceal, not trying it, deadlocks here.
func TestAudioJitterPushVersusDryTick(t *testing.T) {
	pkts := voicedOpus(t, 50)
	j := testJitter(t)
	stop := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	wg.Go(func() { // the participant: bursts, then a pause the queue runs dry in
		seq := uint16(0)
		for time.Now().Before(stop) {
			for range 3 {
				j.Push(seq, pkts[int(seq)%len(pkts)])
				seq++
			}
			runtime.Gosched()
			time.Sleep(200 * time.Microsecond)
		}
	})
	wg.Go(func() { // the mixer: ticks as fast as it can, often dry
		pcm := make([]int16, audio.FrameLen)
		for time.Now().Before(stop) {
			j.AudioAt(context.Background(), 0, pcm)
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("Push and the mixer's tick wait on each other\n%s", buf[:runtime.Stack(buf, true)])
	}
}
