package audio

import (
	"math"
	"testing"
)

// fuzzLimiterConfigs are picked by the first byte of a FuzzLimiter input.
var fuzzLimiterConfigs = []LimiterConfig{
	DefaultLimiterConfig(),
	{Threshold: 1.0 / fullScale, Attack: sampleDuration, Hold: sampleDuration, Release: sampleDuration},
	{Threshold: 1, Attack: FrameDuration, Release: 10 * FrameDuration},
}

// fuzzMaxSamples caps a FuzzLimiter input at four frames.
const fuzzMaxSamples = 4 * FrameLen

// FuzzLimiter feeds arbitrary int32 frames (little-endian, after a config
// byte) through a Limiter twice and checks its guarantees: no sample beyond
// the ceiling, no use of the safety clamp, a gain in (0, 1], and an exact
// copy whenever the gain is 1 and the input within the ceiling.
func FuzzLimiter(f *testing.F) {
	for i, c := range loudCases {
		f.Add(append([]byte{byte(i)}, int32Bytes(c.frame(0)[:FrameLen/4])...))
	}
	f.Add(append([]byte{0}, int32Bytes([]int32{math.MaxInt32, math.MinInt32, 0, -1, 1, 2})...))
	f.Add([]byte{1, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		l := NewLimiter(fuzzLimiterConfigs[int(data[0])%len(fuzzLimiterConfigs)])
		in := bytesInt32(data[1:])
		in = in[:min(len(in), fuzzMaxSamples)&^1] // whole pairs
		c := int64(l.Ceiling())
		out := make([]int16, len(in))
		delayed := newDelayLine(l)
		for range 2 {
			exact := l.Gain() == 1 && maxAbs(in) <= c && maxAbs(delayed.hist) <= c
			l.Process(out, in)
			want := delayed.next(in)
			for i, v := range out {
				if int64(v) > c || int64(v) < -c {
					t.Fatalf("sample %d = %d beyond the ceiling %d", i, v, c)
				}
				if exact && int32(v) != want[i] {
					t.Fatalf("sample %d = %d, want the input %d unchanged, %d pairs late", i, v, want[i], l.Delay())
				}
			}
			if g := l.Gain(); !(g > 0 && g <= 1) {
				t.Fatalf("gain %v out of (0, 1]", g)
			}
			if l.Clamped() != 0 {
				t.Fatalf("safety clamp hit %d times", l.Clamped())
			}
		}
	})
}

// Bytes of a FuzzSpeakerDetector input: a count byte, then that many level
// bytes. A count byte from forgetByte up forgets a slot instead; one from
// excludeByte up to it keeps a slot out of the role, or lets it back in
// (its fourth bit).
const (
	excludeByte = 234
	forgetByte  = 250
	vacantByte  = 255 // level byte: NaN (vacant slot)
	loudestByte = 254 // level byte: +Inf
	maxFuzzSlot = 8
)

// scriptBytes encodes a speaker script for FuzzSpeakerDetector, at most
// perPhase frames of each phase.
func scriptBytes(phases []phase, perPhase int) []byte {
	var b []byte
	for _, ph := range phases {
		for range min(ph.frames, perPhase) {
			b = append(b, byte(len(ph.levels)))
			for _, lv := range ph.levels {
				if math.IsNaN(lv) {
					b = append(b, vacantByte)
				} else {
					b = append(b, byte(-lv))
				}
			}
		}
	}
	return b
}

// FuzzSpeakerDetector drives a detector with arbitrary levels, slot counts
// and Forget calls; it must never panic and must always name a slot that
// exists and is not vacant, or −1.
func FuzzSpeakerDetector(f *testing.F) {
	for _, s := range speakerScripts {
		f.Add(scriptBytes(s.phases, 40))
	}
	f.Add([]byte{3, loudestByte, vacantByte, 0, forgetByte + 1, 1, 200})
	f.Add([]byte{2, 20, loudestByte, excludeByte + 1, 2, 20, loudestByte, forgetByte + 1, 2, 30, 10, excludeByte + 9, 2, 30, 10})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewSpeakerDetector(DefaultSpeakerConfig())
		levels := make([]float64, 0, maxFuzzSlot)
		excluded := map[int]bool{}
		for len(data) > 0 {
			count := data[0]
			data = data[1:]
			if count >= forgetByte {
				d.Forget(int(count - forgetByte))
				continue
			}
			if count >= excludeByte {
				slot, out := int(count-excludeByte)%maxFuzzSlot, count-excludeByte < maxFuzzSlot
				d.Exclude(slot, out)
				excluded[slot] = out
				if s := d.Speaker(); excluded[s] {
					t.Fatalf("speaker %d just excluded", s)
				}
				continue
			}
			levels = levels[:0]
			for range int(count) % maxFuzzSlot {
				if len(data) == 0 {
					break
				}
				switch b := data[0]; b {
				case vacantByte:
					levels = append(levels, math.NaN())
				case loudestByte:
					levels = append(levels, math.Inf(1))
				default:
					levels = append(levels, -float64(b))
				}
				data = data[1:]
			}
			s := d.Update(levels)
			if s != d.Speaker() {
				t.Fatalf("Update returned %d, Speaker() %d", s, d.Speaker())
			}
			if s < -1 || s >= len(levels) || s >= 0 && math.IsNaN(levels[s]) {
				t.Fatalf("speaker %d with levels %v", s, levels)
			}
			if excluded[s] {
				t.Fatalf("speaker %d, an excluded slot, with levels %v", s, levels)
			}
		}
	})
}
