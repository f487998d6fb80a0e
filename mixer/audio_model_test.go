package mixer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"mcu/audio"
)

// progSource is an audio source whose level and sound the test sets per tick.
type progSource struct {
	amp   float64 // of full scale; 0: silence with sound true
	sound bool
	hz    float64
	n     int
}

func (s *progSource) AudioAt(_ context.Context, _ time.Duration, pcm []int16) (bool, error) {
	for i := range audio.FrameSamples {
		v := int16(s.amp * 32767 * math.Sin(2*math.Pi*s.hz*float64(s.n+i)/audio.SampleRate))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	s.n += audio.FrameSamples
	return s.sound, nil
}

// partGains returns the gain of mem.part relative to mem.pcm at its first and
// last sample pair (0 for nil).
func partGains(mem *member) (first, last float64, ok bool) {
	if mem.part == nil {
		return 0, 0, true
	}
	if &mem.part[0] == &mem.pcm[0] {
		return 1, 1, true
	}
	// a ramp: in or out
	in := true
	for i := 0; i < audio.FrameLen; i++ {
		want := int16(int32(mem.pcm[i]) * int32(i/audio.Channels) / int32(audio.FrameSamples))
		if mem.part[i] != want {
			in = false
			break
		}
	}
	if in {
		return 0, 1, true
	}
	return 1, 0, true
}

// TestAudioModel drives the audio tick through random joins, leaves,
// level changes and silences with several voice limits, and checks after
// every tick: (1) nobody's mix-minus holds their own audible voice, (2)
// what is taken out is exactly what went in, (3) no voice's gain jumps
// between two ticks in which it sounds, (4) the speaker is someone present.
func TestAudioModel(t *testing.T) {
	for _, voices := range []int{0, 1, 2, 4} {
		t.Run(fmt.Sprint("voices", voices), func(t *testing.T) {
			cfg := testConfig()
			cfg.Voices = voices
			m, err := New(cfg, &capture{})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(voices), 7))
			srcs := map[string]*progSource{}
			var ids []string
			next := 0
			lastGain := map[*member]float64{}
			lastSound := map[*member]bool{}
			ctx := context.Background()
			ramps, shared := 0, 0
			defer func() { t.Logf("ramps %d shared %d", ramps, shared) }()
			for tick := range 1500 {
				for range rng.IntN(2) {
					switch r := rng.IntN(20); {
					case r < 2 && len(ids) < 8:
						id := fmt.Sprint("p", next)
						next++
						s := &progSource{hz: 200 + 97*float64(next), sound: true}
						srcs[id] = s
						ids = append(ids, id)
						if err := m.Add(Participant{ID: id, Audio: s, MixMinus: rng.IntN(4) > 0}); err != nil {
							t.Fatal(err)
						}
					case r < 3 && len(ids) > 0:
						i := rng.IntN(len(ids))
						m.Remove(ids[i])
						ids = append(ids[:i], ids[i+1:]...)
					default:
						if len(ids) == 0 {
							continue
						}
						s := srcs[ids[rng.IntN(len(ids))]]
						switch rng.IntN(5) {
						case 0:
							s.amp = 0
						case 1:
							s.sound = !s.sound
						default:
							s.amp = math.Pow(10, -rng.Float64()*4) // 0 to -80 dB
						}
					}
				}
				tt := time.Duration(tick) * audio.FrameDuration
				m.sync(tt)
				if err := m.audioTick(ctx, tt); err != nil {
					t.Fatal(err)
				}
				a := &m.audio
				for _, mem := range m.members {
					// (2) and (1)
					if mem.MixMinus {
						if mem.own != nil {
							if mem.part == nil {
								// own is silence: nothing of theirs went in
								for _, v := range mem.own {
									if v != 0 {
										t.Fatalf("tick %d: %s: own not silence with no part", tick, mem.ID)
									}
								}
							} else if &mem.own[0] != &mem.part[0] {
								t.Fatalf("tick %d: %s: own is not their part", tick, mem.ID)
							}
						} else if mem.part != nil {
							if lv := audio.Level(mem.part); lv > quietLevel {
								t.Errorf("tick %d: %s shares the full mix holding their own voice at %.1f dBFS", tick, mem.ID, lv)
							}
						}
					}
					// (3)
					first, last, _ := partGains(mem)
					if first != last {
						ramps++
					}
					if mem.MixMinus && mem.own == nil {
						shared++
					}
					if g, ok := lastGain[mem]; ok && lastSound[mem] && mem.sound && audio.Level(mem.pcm) > -50 {
						if math.Abs(g-first) > 0.01 {
							t.Errorf("tick %d: %s's gain jumps from %.2f to %.2f (voices %d)", tick, mem.ID, g, first, voices)
						}
					}
					lastGain[mem], lastSound[mem] = last, mem.sound
				}
				// (4)
				if a.speaker >= 0 {
					found := false
					for _, mem := range m.members {
						found = found || mem.slot == a.speaker
					}
					if !found {
						t.Errorf("tick %d: speaker slot %d is nobody's", tick, a.speaker)
					}
				}
			}
		})
	}
}
