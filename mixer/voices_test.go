package mixer

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// tonesIn returns the amplitude of each tone in channel 0 of pcm.
func tonesIn(pcm []int16, tones map[string]float64) map[string]float64 {
	got := map[string]float64{}
	for id, hz := range tones {
		got[id] = goertzel(pcm, 0, hz)
	}
	return got
}

// framesBetween are the frames of from ≤ PTS < to.
func framesBetween(frames []codec.EncodedFrame, from, to time.Duration) []codec.EncodedFrame {
	var in []codec.EncodedFrame
	for _, f := range frames {
		if f.PTS >= from && f.PTS < to {
			in = append(in, f)
		}
	}
	return in
}

// TestVoicesMixTheLoudest: with Voices 3, the three loud talkers are in
// every mix (each hears the other two, not themselves) and the two soft
// ones in none; a soft one, whose voice is in no mix, shares the full
// mix's packets once the hangover is over. Without the limit everyone is
// in the full mix.
func TestVoicesMixTheLoudest(t *testing.T) {
	const loud, soft = 0.063, 0.0063
	tones := map[string]float64{"a": 440, "b": 700, "c": 1060, "d": 1230, "e": 1590}
	amps := map[string]float64{"a": loud, "b": loud, "c": loud, "d": soft, "e": soft}
	for _, voices := range []int{3, 0} {
		m, out := voicesMixer(t, voices)
		for id, hz := range tones {
			m.Add(Participant{ID: id, Audio: &toneSource{hz: hz, amp: amps[id]}, MixMinus: true})
		}
		run(t, m, 2*time.Second)
		heard := func(mix string, frames []codec.EncodedFrame, want map[string]bool) {
			t.Helper()
			got := tonesIn(decodeOpus(t, framesBetween(frames, time.Second, 2*time.Second)), tones)
			for id, a := range got {
				if !want[id] {
					if a > soft/10 {
						t.Errorf("voices %d, %s: %s's tone at %.5f, want it out", voices, mix, id, a)
					}
				} else if db := 20 * math.Log10(a/amps[id]); math.Abs(db) > 1 {
					t.Errorf("voices %d, %s: %s's tone at %.1f dB of its level, want it in", voices, mix, id, db)
				}
			}
		}
		speakers := 0
		for id := range tones {
			inMix := amps[id] == loud || voices == 0 // the soft ones are over -60 dBFS
			if h, s := m.Voice(id); h != inMix {
				t.Errorf("voices %d: %s told heard %v", voices, id, h)
			} else if s {
				speakers++
			}
		}
		if h, s := m.Voice("nobody"); h || s || speakers != 1 {
			t.Errorf("voices %d: %d speakers; someone not in the mix told heard %v, speaker %v", voices, speakers, h, s)
		}
		if voices == 0 {
			heard("full mix", out.audio, map[string]bool{"a": true, "b": true, "c": true, "d": true, "e": true})
			continue
		}
		heard("full mix", out.audio, map[string]bool{"a": true, "b": true, "c": true})
		heard("a's mix", out.minus["a"], map[string]bool{"b": true, "c": true})
		heard("d's mix", out.minus["d"], map[string]bool{"a": true, "b": true, "c": true})
		full := map[time.Duration]string{}
		for _, f := range out.audio {
			full[f.PTS] = string(f.Data)
		}
		for _, id := range []string{"d", "e"} {
			for _, f := range framesBetween(out.minus[id], 1700*time.Millisecond, 2*time.Second) {
				if full[f.PTS] != string(f.Data) {
					t.Errorf("voices 3: %s, in no mix, has a packet of its own at %v after the hangover", id, f.PTS)
					break
				}
			}
		}
		if len(framesBetween(out.minus["a"], 1700*time.Millisecond, 2*time.Second)) == 0 {
			t.Fatal("no mix-minus for a")
		}
		for _, f := range framesBetween(out.minus["a"], 0, 2*time.Second) {
			if full[f.PTS] == string(f.Data) {
				t.Errorf("voices 3: a, in the mix, shares the full mix's packet at %v", f.PTS)
				break
			}
		}
	}
}

// TestVoicesEqualNeverSwap: five talkers of the same level, three places:
// the same three are in the full mix all along.
func TestVoicesEqualNeverSwap(t *testing.T) {
	const amp = 0.03
	tones := map[string]float64{"a": 440, "b": 700, "c": 1060, "d": 1230, "e": 1590}
	m, out := voicesMixer(t, 3)
	for id, hz := range tones {
		m.Add(Participant{ID: id, Audio: &toneSource{hz: hz, amp: amp}, MixMinus: true})
	}
	run(t, m, 3*time.Second)
	var first map[string]bool
	for from := 200 * time.Millisecond; from < 3*time.Second; from += 400 * time.Millisecond {
		got := tonesIn(decodeOpus(t, framesBetween(out.audio, from-200*time.Millisecond, from+200*time.Millisecond))[audio20ms:], tones)
		in := map[string]bool{}
		for id, a := range got {
			switch {
			case math.Abs(20*math.Log10(a/amp)) < 1.5:
				in[id] = true
			case a > amp/30:
				t.Errorf("at %v: %s's tone at %.4f, neither in nor out", from, id, a)
			}
		}
		if len(in) != 3 {
			t.Errorf("at %v: %d voices in the mix (%v), want 3", from, len(in), in)
		}
		if first == nil {
			first = in
		}
		for id := range in {
			if !first[id] {
				t.Errorf("at %v: %s in the mix, not among the first three %v", from, id, first)
			}
		}
	}
}

// audio20ms is one frame of stereo samples: what Opus' look-ahead carries
// over from before a window of packets.
const audio20ms = 2 * 960

// TestVoicesSilentGivesWay: of three places, one held by a talker who
// falls silent goes to a softer one, whose voice then reaches the others
// and, from the frame it comes in on, never their own mix.
func TestVoicesSilentGivesWay(t *testing.T) {
	const loud, softer = 0.063, 0.02
	tones := map[string]float64{"a": 440, "b": 700, "c": 1060, "d": 1230}
	m, out := voicesMixer(t, 3)
	for id, hz := range map[string]float64{"b": 700, "c": 1060} {
		m.Add(Participant{ID: id, Audio: &toneSource{hz: hz, amp: loud}, MixMinus: true})
	}
	m.Add(Participant{ID: "a", Audio: &pausingTalker{from: time.Second, to: 10 * time.Second, tone: toneSource{hz: 440, amp: loud}}, MixMinus: true})
	m.Add(Participant{ID: "d", Audio: &toneSource{hz: 1230, amp: softer}, MixMinus: true})
	run(t, m, 4*time.Second)
	before := tonesIn(decodeOpus(t, framesBetween(out.audio, 200*time.Millisecond, time.Second)), tones)
	if before["d"] > softer/30 {
		t.Errorf("d's tone at %.4f while three louder hold the places", before["d"])
	}
	after := tonesIn(decodeOpus(t, framesBetween(out.audio, 3*time.Second, 4*time.Second)), tones)
	if db := 20 * math.Log10(after["d"]/softer); math.Abs(db) > 1 {
		t.Errorf("d's tone at %.1f dB of its level once a has been silent 2 s, want it in the mix", db)
	}
	// d's own mix: never d, while it comes in (faded) and after.
	own := tonesIn(decodeOpus(t, framesBetween(out.minus["d"], time.Second, 4*time.Second)), tones)
	if own["d"] > softer/100 {
		t.Errorf("d hears its own tone at %.5f", own["d"])
	}
	if db := 20 * math.Log10(own["b"]/loud); math.Abs(db) > 1 {
		t.Errorf("d hears b at %.1f dB of its level", db)
	}
}

// TestVoicesFadeInAndOut: a voice comes into the mixes faded in over its
// first frame and leaves them faded out over its last, the one taking its
// place faded in over the same frame; in between, its sound goes in whole.
func TestVoicesFadeInAndOut(t *testing.T) {
	a := voiceState(t, 1)
	x := voiceMember(1000, true)
	y := voiceMember(20000, false)
	a.assignSlot(x)
	a.assignSlot(y)
	members := []*member{x, y}
	tick := func() {
		t.Helper()
		voiceTick(a, members...)
		// What comes out of someone's own mix is what went into the
		// mixes: faded too, on a fade's tick.
		for _, mem := range members {
			if own := mem.talking(a, slog.New(slog.DiscardHandler)); mem.part != nil && (own == nil || &own[0] != &mem.part[0]) {
				t.Fatalf("their own mix takes out other than their part of it")
			}
		}
	}
	faded := func(who string, part []int16, from, to int16) {
		t.Helper()
		if len(part) != audio.FrameLen || part[0] != from || math.Abs(float64(part[len(part)-1]-to)) > float64(max(from, to))/100 {
			t.Fatalf("%s: %d samples from %v to %v, want a fade from %d to %d", who, len(part), part[:1], part[len(part)-1:], from, to)
		}
	}
	tick()
	faded("x coming in", x.part, 0, 1000)
	tick()
	if &x.part[0] != &x.pcm[0] {
		t.Fatal("x in the mix: its part is not its sound")
	}
	y.sound = true
	for n := 1; x.heard.Load(); n++ {
		if n > 50 {
			t.Fatal("y, 26 dB louder, has not taken x's place within a second")
		}
		tick()
	}
	faded("x going out", x.part, 1000, 0)
	faded("y coming in", y.part, 0, 20000)
	tick()
	if x.part != nil || &y.part[0] != &y.pcm[0] {
		t.Errorf("after the swap: x's part %d samples, y's its sound %v", len(x.part), &y.part[0] == &y.pcm[0])
	}
	// A tick y's source gives nothing for (its buffer left as it was): no
	// part of it in the mixes, though its place is kept.
	y.sound = false
	tick()
	if y.part != nil || !y.heard.Load() {
		t.Errorf("a tick without y's sound: its part %d samples, in the mix %v; want none, kept", len(y.part), y.heard.Load())
	}
}

// TestVoicesNoLimit: with Voices 0 everyone's sound goes in whole from
// their first frame, however quiet; heard are those above −60 dBFS.
func TestVoicesNoLimit(t *testing.T) {
	a := voiceState(t, 0)
	loud := voiceMember(3000, true)
	quiet := voiceMember(18, true)     // −65 dBFS
	silent := voiceMember(3000, false) // no sound this tick
	members := []*member{loud, quiet, silent}
	for _, mem := range members {
		a.assignSlot(mem)
	}
	for i := range 10 {
		voiceTick(a, members...)
		for name, mem := range map[string]*member{"loud": loud, "quiet": quiet} {
			if mem.part == nil || &mem.part[0] != &mem.pcm[0] {
				t.Fatalf("tick %d: %s's part is not its sound", i, name)
			}
		}
		if silent.part != nil {
			t.Fatalf("tick %d: a part for someone without sound", i)
		}
		if !loud.heard.Load() || quiet.heard.Load() || silent.heard.Load() {
			t.Fatalf("tick %d: heard: loud %v, quiet %v, silent %v; want only loud", i, loud.heard.Load(), quiet.heard.Load(), silent.heard.Load())
		}
	}
}

// TestVoicesPlaceOfOneWhoLeft: someone in the mix leaves and another
// joins in their slot on the same tick: the place goes to the loudest
// waiting then, not to the newcomer (whose average has only begun).
func TestVoicesPlaceOfOneWhoLeft(t *testing.T) {
	a := voiceState(t, 1)
	x := voiceMember(20000, true)
	y := voiceMember(1037, true) // −30 dBFS
	z := voiceMember(2600, true) // −22 dBFS, −34 averaged over its first frame
	tick := func(members ...*member) { voiceTick(a, members...) }
	a.assignSlot(x)
	a.assignSlot(y)
	for range 50 {
		tick(x, y)
	}
	if !x.heard.Load() || y.heard.Load() {
		t.Fatalf("x in the mix %v, y %v; want x alone", x.heard.Load(), y.heard.Load())
	}
	slot := x.slot
	a.forget(x)
	a.assignSlot(z)
	if z.slot != slot {
		t.Fatalf("z in slot %d, not x's (%d)", z.slot, slot)
	}
	tick(y, z)
	if !y.heard.Load() || z.heard.Load() {
		t.Errorf("the tick x left: y in the mix %v, z %v; want y, the louder then, alone", y.heard.Load(), z.heard.Load())
	}
}

// burstSource is a tone from from to to, and silence around it.
type burstSource struct {
	from, to time.Duration
	tone     toneSource
}

func (s *burstSource) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if t < s.from || t >= s.to {
		clear(pcm)
		return true, nil
	}
	return s.tone.AudioAt(ctx, t, pcm)
}

// TestVoicesCoughKeepsTheTalker: with one place, a 100 ms burst 10 dB
// louder than the talker (a cough) does not take it: the talker stays in
// the mix throughout, and the burst is never in it.
func TestVoicesCoughKeepsTheTalker(t *testing.T) {
	const amp = 0.03
	m, out := voicesMixer(t, 1)
	m.Add(Participant{ID: "talker", Audio: &toneSource{hz: 440, amp: amp}, MixMinus: true})
	m.Add(Participant{ID: "cough", Audio: &burstSource{from: time.Second, to: 1100 * time.Millisecond, tone: toneSource{hz: 1230, amp: amp * 3.2}}, MixMinus: true})
	run(t, m, 2*time.Second)
	pcm := decodeOpus(t, framesBetween(out.audio, 800*time.Millisecond, 1600*time.Millisecond))
	for from := audio20ms; from+2*audio20ms <= len(pcm); from += audio20ms {
		w := pcm[from : from+2*audio20ms] // 40 ms
		if a := goertzel(w, 0, 440); math.Abs(20*math.Log10(a/amp)) > 1.5 {
			t.Errorf("at %v: the talker's tone at %.4f, want %.2f", 800*time.Millisecond+time.Duration(from/2)*time.Second/audio.SampleRate, a, amp)
		}
		if a := goertzel(w, 0, 1230); a > amp/30 {
			t.Errorf("at %v: the cough in the mix at %.4f", 800*time.Millisecond+time.Duration(from/2)*time.Second/audio.SampleRate, a)
		}
	}
}

// voiceTick does what an audio tick does before the mixing: each member's
// level (of their sound, if any), the speaker detector, the choice of
// voices and each one's part.
func voiceTick(a *audioState, members ...*member) {
	for _, mem := range members {
		a.levels[mem.slot] = audio.SilenceDBFS
		if mem.sound {
			a.levels[mem.slot] = audio.Level(mem.pcm)
		}
	}
	a.detector.Update(a.levels)
	a.chooseVoices(members)
}

// voiceState is an audio tick's state for members made by voiceMember,
// taking at most voices (0: all).
func voiceState(t *testing.T, voices int) *audioState {
	t.Helper()
	cfg := testConfig()
	cfg.Voices = voices
	a := &audioState{}
	if err := a.init(cfg); err != nil {
		t.Fatal(err)
	}
	return a
}

// voiceMember is a member whose every frame is v, with sound this tick or
// not.
func voiceMember(v int16, sound bool) *member {
	return &member{pcm: frameOf(v), ramp: make([]int16, audio.FrameLen), sound: sound}
}

// voicesMixer is a mixer of testConfig's taking at most voices (0: all),
// and what it puts out.
func voicesMixer(t *testing.T, voices int) (*Mixer, *capture) {
	t.Helper()
	cfg := testConfig()
	cfg.Voices = voices
	out := &capture{}
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}
