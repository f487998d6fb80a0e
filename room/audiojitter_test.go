package room

import (
	"context"
	"slices"
	"testing"

	"mcu/audio"
)

// tick is what reaches an audioJitter between two of the mixer's pulls:
// packets, as indices into the test's packets, sent with sequence number
// base+index.
type tick []int

// play runs ticks through a new audioJitter, pulling one frame after each,
// and returns what the mixer got: a frame per tick, nil for a silent one.
func play(t *testing.T, pkts [][]byte, base uint16, ticks []tick) ([][]int16, *audioJitter) {
	t.Helper()
	j, err := newAudioJitter()
	if err != nil {
		t.Fatal(err)
	}
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
			if j.filled == 0 || j.gaveUp != 0 {
				t.Errorf("filled %d, gave up %d; want some filled and none given up", j.filled, j.gaveUp)
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
			if j.gaveUp != 1 {
				t.Errorf("gave up %d gaps, want 1", j.gaveUp)
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

// TestAudioJitterOddNumbering: duplicates are dropped; a jump too far
// ahead to hold is decoded at once; a sender whose numbering goes back is
// followed after maxLateAudio packets.
func TestAudioJitterOddNumbering(t *testing.T) {
	pkts := voicedOpus(t, 4)
	j, err := newAudioJitter()
	if err != nil {
		t.Fatal(err)
	}
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

// TestAudioJitterAllocs: packets in order, and a gap given up, allocate
// nothing once the held slots have grown.
func TestAudioJitterAllocs(t *testing.T) {
	pkts := voicedOpus(t, 2)
	j, err := newAudioJitter()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, audio.FrameLen)
	ctx := context.Background()
	var seq uint16
	step := func() {
		seq++
		j.Push(seq, pkts[seq%2])
		j.AudioAt(ctx, 0, pcm)
	}
	for range 2 * heldSlots { // every slot's buffer grows once
		seq++
		step()
	}
	if a := testing.AllocsPerRun(100, step); a != 0 {
		t.Errorf("%.1f allocations per packet in order", a)
	}
	if a := testing.AllocsPerRun(100, func() { seq++; step() }); a != 0 {
		t.Errorf("%.1f allocations per packet after a gap", a)
	}
}
