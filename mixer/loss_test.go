package mixer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

func TestLossPeak(t *testing.T) {
	s := time.Second
	type report struct {
		at      time.Duration
		percent int
	}
	for _, c := range []struct {
		name    string
		reports []report
		at      time.Duration
		want    int
	}{
		{"none", nil, 0, 0},
		{"at once", []report{{0, 20}}, 0, 20},
		{"held", []report{{0, 20}, {s, 2}}, lossHold - time.Millisecond, 20},
		{"the next highest after the peak runs out", []report{{0, 20}, {s, 2}}, lossHold, 2},
		{"all run out", []report{{0, 20}, {s, 2}}, s + lossHold, 0},
		{"a higher report replaces", []report{{0, 2}, {s, 20}}, lossHold + s/2, 20},
		{"an equal later report extends", []report{{0, 5}, {2 * s, 5}}, lossHold + s, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p lossPeak
			for _, r := range c.reports {
				p.add(r.at, r.percent)
			}
			if got := p.at(c.at); got != c.want {
				t.Errorf("peak at %v: %d %%, want %d", c.at, got, c.want)
			}
		})
	}
	// Reports falling every tick keep one entry per level, no more.
	var p lossPeak
	for i := range 1000 {
		p.add(time.Duration(i)*audio.FrameDuration, maxLoss-i%maxLoss)
		if len(p) > maxLoss {
			t.Fatalf("%d reports kept", len(p))
		}
	}
}

// speechSource is an AudioSource of speech-like sound: a voice whose pitch
// glides around pitch Hz, with harmonics up to 9 kHz under a syllable
// envelope, and a faint hiss between the syllables. Opus codes it as
// speech: SILK or hybrid with FEC when told to expect loss, CELT without.
// At given media times it runs actions (SetAudioLoss, Remove), from the
// mixer goroutine as a report taken at that tick would be.
type speechSource struct {
	pitch float64
	n     int
	noise *rand.Rand
	at    map[time.Duration]func()
}

func (s *speechSource) AudioAt(_ context.Context, t time.Duration, pcm []int16) (bool, error) {
	if f := s.at[t]; f != nil {
		f()
	}
	if s.noise == nil {
		s.noise = rand.New(rand.NewPCG(uint64(s.pitch), 1))
	}
	for i := range audio.FrameSamples {
		x := float64(s.n+i) / audio.SampleRate
		phase := 2 * math.Pi * (s.pitch*x - 50/(2*math.Pi*1.3)*math.Cos(2*math.Pi*1.3*x))
		var v float64
		for h := 1.0; h <= 40; h++ {
			v += math.Sin(h*phase) / h
		}
		env := 0.5 - 0.5*math.Cos(2*math.Pi*4.1*x)
		hiss := (2*s.noise.Float64() - 1) * 0.03 * (1 - env)
		pcm[2*i] = int16(32767 * (0.1*env*v + hiss))
		pcm[2*i+1] = pcm[2*i]
	}
	s.n += audio.FrameSamples
	return true, nil
}

// lossSettle is how long after a change of expected loss the encoder's
// packets are checked: the report is taken at the next tick, and libopus
// takes a few packets to change mode.
const lossSettle = 300 * time.Millisecond

// audioModes counts the packets of frames in [from, to) coded in CELT and
// in SILK or hybrid (RFC 6716 3.1: TOC configurations 16..31 are CELT).
func audioModes(frames []codec.EncodedFrame, from, to time.Duration) (celt, silkOrHybrid int) {
	for _, f := range frames {
		if f.PTS < from || f.PTS >= to {
			continue
		}
		if f.Data[0]>>3 >= 16 {
			celt++
		} else {
			silkOrHybrid++
		}
	}
	return celt, silkOrHybrid
}

// withFEC counts the packets of frames in [from, to) that carry FEC for
// the one before: recovering that one from them (DecodeFEC) gives other
// sound than concealing it, which is what libopus does when there is no
// FEC. Both decoders start a few packets before the loss (same state, so
// an exact comparison).
func withFEC(t *testing.T, frames []codec.EncodedFrame, from, to time.Duration) (n, of int) {
	t.Helper()
	const warmup = 10
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	upTo := func(k int) *codec.OpusDecoder {
		dec, err := codec.NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range frames[max(0, k-warmup):k] {
			if _, err := dec.Decode(f.Data, pcm); err != nil {
				t.Fatal(err)
			}
		}
		return dec
	}
	for k := 1; k < len(frames); k += 3 {
		if frames[k].PTS < from || frames[k].PTS >= to {
			continue
		}
		fec, plc := make([]int16, audio.FrameLen), make([]int16, audio.FrameLen)
		if err := upTo(k-1).DecodeFEC(frames[k].Data, fec); err != nil {
			t.Fatal(err)
		}
		if err := upTo(k - 1).Conceal(plc); err != nil {
			t.Fatal(err)
		}
		of++
		if !slices.Equal(fec, plc) {
			n++
		}
	}
	return n, of
}

// lossTest runs two talking participants, "lossy" and "clean", for d with
// the actions given, and records the full mix's expected loss each second.
type lossTest struct {
	out      *capture
	m        *Mixer
	expected map[time.Duration]int // AudioLoss(), by whole second
}

func runLossTest(t *testing.T, d time.Duration, lossy, clean map[time.Duration]func(m *Mixer)) *lossTest {
	t.Helper()
	cfg := testConfig()
	cfg.Video.FPS = 5 // the pictures do not matter here
	lt := &lossTest{out: &capture{}, expected: map[time.Duration]int{}}
	m, err := New(cfg, lt.out)
	if err != nil {
		t.Fatal(err)
	}
	lt.m = m
	bind := func(actions map[time.Duration]func(m *Mixer)) map[time.Duration]func() {
		out := map[time.Duration]func(){}
		for at, f := range actions {
			out[at] = func() { f(m) }
		}
		return out
	}
	cleanActions := bind(clean)
	for at := time.Duration(0); at < d; at += time.Second {
		then := cleanActions[at]
		cleanActions[at] = func() {
			lt.expected[at] = m.AudioLoss()
			if then != nil {
				then()
			}
		}
	}
	if err := m.Add(Participant{ID: "lossy", Audio: &speechSource{pitch: 170, at: bind(lossy)}, MixMinus: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(Participant{ID: "clean", Audio: &speechSource{pitch: 115, at: cleanActions}, MixMinus: true}); err != nil {
		t.Fatal(err)
	}
	run(t, m, d)
	return lt
}

// report returns actions that report percent loss for id each second from
// from to to.
func report(actions map[time.Duration]func(m *Mixer), id string, percent int, from, to time.Duration) map[time.Duration]func(m *Mixer) {
	if actions == nil {
		actions = map[time.Duration]func(m *Mixer){}
	}
	for at := from; at < to; at += time.Second {
		prev := actions[at]
		actions[at] = func(m *Mixer) {
			if prev != nil {
				prev(m)
			}
			m.SetAudioLoss(id, percent)
		}
	}
	return actions
}

// checkModes checks that a stream is all CELT (fec false) or all SILK or
// hybrid with FEC in many packets (fec true) over [from, to).
func checkModes(t *testing.T, name string, frames []codec.EncodedFrame, from, to time.Duration, fec bool) {
	t.Helper()
	celt, sh := audioModes(frames, from, to)
	switch {
	case celt+sh == 0:
		t.Errorf("%s %v..%v: no packets", name, from, to)
	case fec && celt > 0:
		t.Errorf("%s %v..%v: %d CELT packets, %d SILK or hybrid; want SILK or hybrid (FEC)", name, from, to, celt, sh)
	case !fec && sh > 0:
		t.Errorf("%s %v..%v: %d SILK or hybrid packets, %d CELT; want CELT (no FEC)", name, from, to, sh, celt)
	}
	n, of := withFEC(t, frames, from, to)
	switch {
	case fec && 2*n < of:
		// Measured: about 70 % of the packets of this speech carry FEC;
		// the hiss between syllables gets none.
		t.Errorf("%s %v..%v: %d of %d packets carry FEC, want at least half", name, from, to, n, of)
	case !fec && n > 0:
		t.Errorf("%s %v..%v: %d of %d packets carry FEC, want none", name, from, to, n, of)
	}
}

// TestAudioLossSetsFEC: a participant whose reports say 20 % loss gets
// SILK or hybrid packets with FEC in their own mix while one who reports
// none gets CELT; the full mix follows the worse of them. Reports of no
// loss take the FEC away only lossHold after the last lossy one.
func TestAudioLossSetsFEC(t *testing.T) {
	s := time.Second
	// The expected loss just before and after 2.02 s + lossHold: the last
	// lossy report, at 2 s, is held for lossHold of media time (from the
	// next tick, 2.02 s).
	end := 2*s + lossHold + 2*s
	held, gone := -1, -1
	reports := report(nil, "clean", 0, 0, end)
	reports[2*s+lossHold-100*time.Millisecond] = func(m *Mixer) { held = m.AudioLoss() }
	reports[2*s+lossHold+100*time.Millisecond] = func(m *Mixer) { gone = m.AudioLoss() }
	lt := runLossTest(t, end, report(nil, "lossy", 20, 0, 3*s), reports)
	lossy, clean, full := lt.out.minus["lossy"], lt.out.minus["clean"], lt.out.audio
	// The last lossy report, at 2 s, counts until lossHold after the tick
	// that takes it.
	release := 2*s + audio.FrameDuration + lossHold
	checkModes(t, "lossy's own mix", lossy, lossSettle, release, true)
	checkModes(t, "clean's own mix", clean, lossSettle, end, false)
	checkModes(t, "full mix", full, lossSettle, release, true)
	checkModes(t, "lossy's own mix after the hold", lossy, release+lossSettle, end, false)
	checkModes(t, "full mix after the hold", full, release+lossSettle, end, false)
	for at, want := range map[time.Duration]int{s: 20, lossHold + s: 20, lossHold + 3*s: 0} {
		if got := lt.expected[at]; got != want {
			t.Errorf("full mix's expected loss at %v: %d %%, want %d", at, got, want)
		}
	}
	if held != 20 || gone != 0 {
		t.Errorf("full mix's expected loss 0.1 s before and after the hold's end: %d %%, %d %%; want 20 and 0 (held lossHold after the last lossy report)", held, gone)
	}
}

// TestAudioLossForgetsLeavers: the full mix follows the worst receiver,
// a viewer (not a participant) too, and stops counting one at once when
// they leave, though their last report would still be held.
func TestAudioLossForgetsLeavers(t *testing.T) {
	s := time.Second
	clean := map[time.Duration]func(m *Mixer){
		2 * s: func(m *Mixer) { m.Remove("lossy") },
		3 * s: func(m *Mixer) { m.SetAudioLoss("viewer", 10) },
		5 * s: func(m *Mixer) { m.Remove("viewer") },
	}
	lt := runLossTest(t, 6*s, report(nil, "lossy", 20, 0, 2*s), clean)
	full := lt.out.audio
	checkModes(t, "full mix with lossy", full, lossSettle, 2*s, true)
	checkModes(t, "full mix after lossy left", full, 2*s+lossSettle, 3*s, false)
	checkModes(t, "full mix with the viewer", full, 3*s+lossSettle, 5*s, true)
	checkModes(t, "full mix after the viewer left", full, 5*s+lossSettle, 6*s, false)
	checkModes(t, "clean's own mix", lt.out.minus["clean"], lossSettle, 6*s, false)
	for at, want := range map[time.Duration]int{s: 20, 3 * s: 0, 4 * s: 10} {
		if got := lt.expected[at]; got != want {
			t.Errorf("full mix's expected loss at %v: %d %%, want %d", at, got, want)
		}
	}
	if len(lt.m.losses) != 0 {
		t.Errorf("%d receivers' losses kept after they left", len(lt.m.losses))
	}
}

// TestAudioLossConcurrent reports loss and removes receivers from other
// goroutines while the mixer runs (for the race detector).
func TestAudioLossConcurrent(t *testing.T) {
	cfg := testConfig()
	cfg.Video.FPS = 5
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	m.Add(Participant{ID: "a", Audio: &toneSource{hz: 440, amp: 0.1}, MixMinus: true})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprint(g, i%5)
				m.SetAudioLoss(id, i%30)
				m.SetAudioLoss("a", i%30)
				if i%7 == 0 {
					m.Remove(id)
				}
				time.Sleep(50 * time.Microsecond)
			}
		})
	}
	err = m.Run(ctx, AsFastAsPossible(), 2*time.Second)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
}
