package mixer

import (
	"log/slog"

	"mcu/audio"
	"mcu/codec"
	"testing"
)

// TestVoicesPlaceTakenOnASilentTick: with one place, x (in the mix)
// leaves; y, waiting, gets the place on a tick its source gives nothing
// for (a late packet, a queue refilling after a pause). On the next tick
// y's sound must still come in faded, not at full level from its first
// sample (a click), as it does when the place is taken on a tick with
// sound.
func TestVoicesPlaceTakenOnASilentTick(t *testing.T) {
	a := voiceState(t, 1)
	x := voiceMember(20000, true)
	y := voiceMember(3000, true)
	a.assignSlot(x)
	a.assignSlot(y)
	for range 50 {
		voiceTick(a, x, y)
	}
	if !x.heard.Load() || y.heard.Load() {
		t.Fatalf("x in %v, y in %v; want x alone", x.heard.Load(), y.heard.Load())
	}
	a.forget(x)
	y.sound = false
	voiceTick(a, y)
	if !y.heard.Load() || y.part != nil {
		t.Fatalf("the tick x left: y in %v, part %d samples; want in, no part", y.heard.Load(), len(y.part))
	}
	y.sound = true
	voiceTick(a, y)
	if y.part == nil || y.part[0] != 0 {
		t.Errorf("y's first frame in the mixes starts at %v, want a fade-in from 0 (it was in no mix on the tick before)", y.part[:2])
	}
}

// TestNobodyHearsThemselves: random levels, dry ticks, joins of
// the voices and hangovers, with one and with no limit of voices. Each
// tick, what a member's own mix takes out is exactly their part of the
// mixes (or silence when they have none), and a member who shares the
// full mix has no part in it above quietLevel.
func TestNobodyHearsThemselves(t *testing.T) {
	for _, voices := range []int{0, 1, 2} {
		a := voiceState(t, voices)
		rng := uint64(voices + 1)
		next := func(n int) int { rng = rng*6364136223846793005 + 1442695040888963407; return int(rng>>33) % n }
		members := make([]*member, 4)
		for i := range members {
			members[i] = voiceMember(0, false)
			members[i].MixMinus = true
			members[i].limiter = audio.NewLimiter(testConfig().Limiter)
			enc, err := codec.NewOpusEncoder(testConfig().Audio)
			if err != nil {
				t.Fatal(err)
			}
			members[i].enc = enc
			a.assignSlot(members[i])
		}
		for tick := range 3000 {
			for _, mem := range members {
				if next(40) == 0 || tick == 0 {
					v := []int16{0, 10, 30, 300, 3000, 20000}[next(6)]
					for i := range mem.pcm {
						mem.pcm[i] = v
					}
				}
				mem.sound = next(10) != 0
			}
			voiceTick(a, members...)
			for k, mem := range members {
				own := mem.talking(a, slogDiscard())
				switch {
				case own == nil:
					if mem.part != nil && a.levels[mem.slot] > quietLevel {
						t.Fatalf("voices %d tick %d: member %d shares the full mix with its part at %.1f dBFS in it", voices, tick, k, a.levels[mem.slot])
					}
				case mem.part != nil:
					if &own[0] != &mem.part[0] {
						t.Fatalf("voices %d tick %d: member %d: own mix takes out other than its part", voices, tick, k)
					}
				default:
					for _, s := range own {
						if s != 0 {
							t.Fatalf("voices %d tick %d: member %d with no part: own mix takes out sound", voices, tick, k)
						}
					}
				}
			}
		}
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
