package audio

import (
	"math"
	"slices"
	"testing"
)

// TestVoices: frame by frame, which slots a mix of at most Max takes.
func TestVoices(t *testing.T) {
	nan := math.NaN()
	type frame struct {
		levels []float64
		want   []bool
	}
	T, F := true, false
	for _, c := range []struct {
		name   string
		max    int
		frames []frame
	}{
		{"all while there is room", 3, []frame{
			{[]float64{-30, -40}, []bool{T, T}},
			{[]float64{-30, -40, -50}, []bool{T, T, T}},
		}},
		{"the loudest fill the places", 2, []frame{
			{[]float64{-40, -20, -30, -35}, []bool{F, T, T, F}},
		}},
		{"equal voices never swap", 2, []frame{
			{[]float64{-30, -30, -31}, []bool{T, T, F}},
			{[]float64{-30.5, -30.5, -29}, []bool{T, T, F}},
			{[]float64{-31, -30, -27}, []bool{T, T, F}}, // 4 dB over the weakest: not enough
		}},
		{"a voice margin louder takes the weakest place", 2, []frame{
			{[]float64{-30, -36, -40}, []bool{T, T, F}},
			{[]float64{-30, -36, -30}, []bool{T, F, T}}, // exactly 6 dB over -36
			{[]float64{-30, -25, -30}, []bool{T, F, T}}, // the one out, now loudest, must beat the weakest by 6 dB
			{[]float64{-30, -23, -30}, []bool{F, T, T}}, // 7 dB over -30: it takes the first of the equals' places
		}},
		{"under the floor frees the place", 2, []frame{
			{[]float64{-30, -40, -50}, []bool{T, T, F}},
			{[]float64{-30, -61, -50}, []bool{T, F, T}},
			{[]float64{-70, -65, -62}, []bool{F, F, F}},
		}},
		{"vacant slots", 2, []frame{
			{[]float64{-30, nan, SilenceDBFS, -40}, []bool{T, F, F, T}},
			{[]float64{nan, -45}, []bool{F, T}}, // fewer slots
			{[]float64{nan, -45, -20}, []bool{F, T, T}},
		}},
		{"at the floor", 1, []frame{
			{[]float64{-60, -70}, []bool{T, F}},
			{[]float64{-60.01, -70}, []bool{F, F}},
		}},
		{"no limit", 0, []frame{
			{[]float64{-20, -30, -40, -50, -59, -61, nan}, []bool{T, T, T, T, T, F, F}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := Voices{Max: c.max}
			for i, f := range c.frames {
				if got := v.Update(f.levels, nil); !slices.Equal(got, f.want) {
					t.Errorf("frame %d %v: %v, want %v", i, f.levels, got, f.want)
				}
			}
		})
	}
}

// TestVoicesForget: a slot forgotten is out of the mix; the place goes
// to the loudest waiting.
func TestVoicesForget(t *testing.T) {
	v := Voices{Max: 1}
	v.Update([]float64{-20, -30, -40}, nil)
	v.Forget(0)
	v.Forget(7) // out of range: nothing
	v.Forget(-1)
	if got := v.Update([]float64{-45, -30, -40}, nil); !slices.Equal(got, []bool{false, true, false}) {
		t.Errorf("after slot 0 was forgotten: %v, want slot 1 (the loudest waiting) alone", got)
	}
}

// FuzzVoices: whatever the levels, a mix holds at most Max voices, all
// audible; a place left free means nobody audible is outside; nobody
// outside is Margin louder than the weakest inside; and a voice inside
// stays inside while audible and not displaced.
func FuzzVoices(f *testing.F) {
	f.Add(byte(2), []byte{10, 20, 30, 200, 40, 50, 60})
	f.Add(byte(0), []byte{0, 255, 128})
	f.Add(byte(3), []byte{100, 100, 100, 100, 100, 100, 101, 99})
	f.Fuzz(func(t *testing.T, max byte, data []byte) {
		const slots = 7
		v := Voices{Max: int(max % 5)}
		var before []bool
		for len(data) >= slots {
			levels := make([]float64, slots)
			for i, b := range data[:slots] {
				switch {
				case b == 255:
					levels[i] = math.NaN()
				default:
					levels[i] = -float64(b) / 2 // 0 to -127 dBFS
				}
			}
			data = data[slots:]
			in := slices.Clone(v.Update(levels, nil))
			audible := func(i int) bool { return !math.IsNaN(levels[i]) && levels[i] >= VoiceFloor }
			n, weakest := 0, math.Inf(1)
			for i, ok := range in {
				if ok {
					n++
					weakest = min(weakest, levels[i])
					if !audible(i) {
						t.Fatalf("slot %d at %v dBFS in the mix", i, levels[i])
					}
				}
			}
			if v.Max > 0 && n > v.Max {
				t.Fatalf("%d voices, at most %d", n, v.Max)
			}
			for i, ok := range in {
				if ok || !audible(i) {
					continue
				}
				if v.Max <= 0 || n < v.Max {
					t.Fatalf("slot %d audible (%v dBFS) left out with %d of %d places taken", i, levels[i], n, v.Max)
				}
				if levels[i] >= weakest+VoiceMargin {
					t.Fatalf("slot %d (%v dBFS) left out, %v dB over the weakest voice", i, levels[i], levels[i]-weakest)
				}
			}
			for i, was := range before {
				if was && !in[i] && audible(i) && n < v.Max {
					t.Fatalf("slot %d dropped with a place free", i)
				}
			}
			before = in
		}
	})
}

// TestVoicesSilentGiveWay: a voice whose own frames have been under the
// floor for VoiceIdle gives its place to one sounding and louder than
// it, margin or not; one pausing for less (between words) keeps it; and
// a silent voice outside takes no place, however loud its fading level.
func TestVoicesSilentGiveWay(t *testing.T) {
	const s = SilenceDBFS
	v := Voices{Max: 1}
	step := func(smoothed, frame []float64) []bool { return slices.Clone(v.Update(smoothed, frame)) }
	step([]float64{-30, s}, []float64{-30, s})
	// Slot 0 pauses for VoiceIdle-1 frames while slot 1, outside, speaks
	// and is louder than slot 0's fading level (not by the margin).
	for i := range VoiceIdle - 1 {
		if got := step([]float64{-32, -31}, []float64{s, -30}); !slices.Equal(got, []bool{true, false}) {
			t.Fatalf("slot 0 silent for %d frames: %v, want it kept", i+1, got)
		}
	}
	// Slot 0 speaks again, then stops for good.
	step([]float64{-31, -31}, []float64{-30, -30})
	for i := range VoiceIdle - 1 {
		if got := step([]float64{-32, -31}, []float64{s, -30}); !slices.Equal(got, []bool{true, false}) {
			t.Fatalf("slot 0 silent for %d frames after it spoke again: %v, want it kept", i+1, got)
		}
	}
	if got := step([]float64{-32.5, -32}, []float64{s, -30}); !slices.Equal(got, []bool{false, true}) {
		t.Fatalf("slot 0 silent for %d frames, slot 1 sounding and louder: %v, want slot 1 in", VoiceIdle, got)
	}
	// Now slot 0, silent and outside, is far louder than slot 1 by its
	// fading level: it takes no place back.
	if got := step([]float64{-20, -50}, []float64{s, -50}); !slices.Equal(got, []bool{false, true}) {
		t.Fatalf("silent slot 0 outside, 30 dB over slot 1: %v, want slot 1 kept", got)
	}
	// Once it sounds again, the margin rule holds as ever.
	if got := step([]float64{-20, -50}, []float64{-20, -50}); !slices.Equal(got, []bool{true, false}) {
		t.Fatalf("slot 0 sounding again, 30 dB over slot 1: %v, want slot 0 in", got)
	}
	// Slot 0 falls silent for good while slot 1 sounds quieter than its
	// fading level: slot 0 keeps the place.
	for i := range 2 * VoiceIdle {
		if got := step([]float64{-25, -40}, []float64{s, -40}); !slices.Equal(got, []bool{true, false}) {
			t.Fatalf("slot 0 silent for %d frames, slot 1 sounding quieter than it: %v, want slot 0 kept", i+1, got)
		}
	}
}
