//go:build cgo

package codec

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

const hours = 30 * 3600 * 5 // five hours in 1/30 s units

// readAll reads path to its end, passing each packet to each, and returns
// the input, closed.
func readAll(t *testing.T, path string, each func(in *Input, p Packet)) *Input {
	t.Helper()
	in, err := OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for {
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			return in
		}
		if err != nil {
			t.Fatal(err)
		}
		each(in, p)
	}
}

func readTimes(t *testing.T, path string) ([]time.Duration, int) {
	t.Helper()
	var times []time.Duration
	in := readAll(t, path, func(_ *Input, p Packet) { times = append(times, p.PTS) })
	return times, in.Retimed(Video)
}

// TestInputRetimesDamagedTimestamps: a frame whose timestamp leaps hours
// ahead while the next one is back in line (one damaged field) is placed
// after the frame before it, at the start, in the middle and at the end of
// a clip, and so is a run of such frames; a leap the stream then follows
// (a pause in a recording, also one near the end), and a last frame a few
// seconds after the one before, are kept.
func TestInputRetimesDamagedTimestamps(t *testing.T) {
	frame := time.Second / 30
	for _, tc := range []struct {
		name    string
		ts      func(i int, pts uint64) uint64
		retimed int
		want    func(i int) time.Duration // each packet's time after Read
	}{
		{"clean", func(_ int, pts uint64) uint64 { return pts }, 0,
			func(i int) time.Duration { return time.Duration(i) * frame }},
		{"middle", func(i int, pts uint64) uint64 {
			if i == 10 {
				return pts + hours
			}
			return pts
		}, 1, func(i int) time.Duration {
			if i == 10 {
				return 10 * frame // after frame 9, one frame interval on
			}
			return time.Duration(i) * frame
		}},
		{"first", func(i int, pts uint64) uint64 {
			if i == 0 {
				return pts + hours
			}
			return pts
		}, 1, func(i int) time.Duration {
			return time.Duration(i) * frame // the start too: the damaged frame gave it
		}},
		{"first behind", func(i int, pts uint64) uint64 {
			if i == 0 {
				return pts // the rest hours on: the first damaged back to 0 gave the start
			}
			return pts + hours
		}, 1, func(i int) time.Duration {
			return time.Duration(i) * frame // the rest brought back behind it
		}},
		{"pause after the first frame", func(i int, pts uint64) uint64 {
			if i == 0 {
				return pts
			}
			return pts + 10*60*30 // one picture, then ten minutes without video
		}, 0, func(i int) time.Duration {
			if i == 0 {
				return 0
			}
			return time.Duration(i)*frame + 10*time.Minute
		}},
		{"last", func(i int, pts uint64) uint64 {
			if i == 89 {
				return pts + hours
			}
			return pts
		}, 1, func(i int) time.Duration {
			return time.Duration(i) * frame // the last after its neighbour
		}},
		{"run", func(i int, pts uint64) uint64 {
			if i >= 30 && i < 45 {
				return pts + hours // half a second of frames, as a damaged Matroska cluster time
			}
			return pts
		}, 15, func(i int) time.Duration { return time.Duration(i) * frame }},
		{"pause near the end", func(i int, pts uint64) uint64 {
			if i >= 80 {
				return pts + 2*60*30 // two minutes without video, then the last third of a second
			}
			return pts
		}, 0, func(i int) time.Duration {
			if i >= 80 {
				return time.Duration(i)*frame + 2*time.Minute
			}
			return time.Duration(i) * frame
		}},
		{"late last frame", func(i int, pts uint64) uint64 {
			if i == 89 {
				return pts + 5*30 // sent 5 s after the one before, as a screen share may
			}
			return pts
		}, 0, func(i int) time.Duration {
			if i == 89 {
				return time.Duration(i)*frame + 5*time.Second
			}
			return time.Duration(i) * frame
		}},
		{"counted from the epoch", func(_ int, pts uint64) uint64 {
			return pts + 56*365*24*3600*30 // every time decades on, past the bound alone
		}, 0, func(i int) time.Duration { return time.Duration(i) * frame }},
		{"middle, beyond any time", func(i int, pts uint64) uint64 {
			if i == 10 {
				return pts + 1<<62 // in nanoseconds, past what int64 holds
			}
			return pts
		}, 1, func(i int) time.Duration { return time.Duration(i) * frame }},
		{"first, beyond any time", func(i int, pts uint64) uint64 {
			if i == 0 {
				return pts + 1<<62 // it gives the file's start
			}
			return pts
		}, 1, func(i int) time.Duration { return time.Duration(i) * frame }},
		{"pause", func(i int, pts uint64) uint64 {
			if i >= 45 {
				return pts + 60*30 // a minute without video, then it goes on
			}
			return pts
		}, 0, func(i int) time.Duration {
			if i >= 45 {
				return time.Duration(i)*frame + time.Minute
			}
			return time.Duration(i) * frame
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			times, retimed := readTimes(t, mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), tc.ts)) // 90 frames, 1/30 s
			if len(times) != 90 {
				t.Fatalf("%d packets, want 90", len(times))
			}
			if retimed != tc.retimed {
				t.Errorf("Retimed %d, want %d", retimed, tc.retimed)
			}
			for i, got := range times {
				if d := got - tc.want(i); d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("packet %d at %v, want %v", i, got, tc.want(i))
				}
			}
		})
	}
}

// TestInputKeepsLegitimateOrder: times a real stream has are not taken
// for damage: B-frames at 1 fps, whose next picture in the file is seconds
// ahead of the ones after it (decode order I0 P3 B1 B2 P6 B4 B5 ...), and
// packets damaged backwards, which are left alone and move nothing else:
// not the healthy packets after them, not a real pause before them, not
// the first packet and the file's start.
func TestInputKeepsLegitimateOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeBase uint32 // IVF time base denominator (numerator 1)
		ts       func(i int, pts uint64) uint64
	}{
		{"B-frames at 1 fps", 1, func(i int, _ uint64) uint64 {
			if i == 0 {
				return 0
			}
			// Groups of three from 1: P, then the two B before it.
			g, k := uint64(i-1)/3, (i-1)%3
			return 3*g + [3]uint64{3, 1, 2}[k]
		}},
		{"damaged backwards", 30, func(i int, pts uint64) uint64 {
			if i == 40 || i == 80 {
				return 0
			}
			return pts
		}},
		{"a pause, then one damaged backwards", 30, func(i int, pts uint64) uint64 {
			switch {
			case i == 80:
				return 0
			case i >= 45:
				return pts + 60*30
			}
			return pts
		}},
		{"second damaged backwards", 30, func(i int, pts uint64) uint64 {
			if i == 1 {
				return pts // five hours before the rest, which gave the start
			}
			return pts + hours
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []uint64
			path := mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), func(i int, pts uint64) uint64 {
				v := tc.ts(i, pts)
				want = append(want, v)
				return v
			})
			setIVFTimeBase(t, path, tc.timeBase)
			times, retimed := readTimes(t, path)
			if retimed != 0 {
				t.Errorf("Retimed %d, want 0", retimed)
			}
			unit := time.Second / time.Duration(tc.timeBase)
			for i, got := range times {
				// Relative to the first packet, which gives the start.
				if w := (time.Duration(want[i]) - time.Duration(want[0])) * unit; got-w < -time.Millisecond || got-w > time.Millisecond {
					t.Errorf("packet %d at %v, want %v", i, got, w)
				}
			}
		})
	}
}

// setIVFTimeBase sets an IVF file's time base to 1/den (and its frame rate
// to den).
func setIVFTimeBase(t *testing.T, path string, den uint32) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(data[16:], den)
	binary.LittleEndian.PutUint32(data[20:], 1)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzInputTimes: whatever the timestamps of an IVF file (leaps of hours,
// falls of minutes, in any order), Read's look-ahead returns every frame
// once, in the file's order; without a leap or a fall it retimes nothing.
func FuzzInputTimes(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5})
	f.Add([]byte{0, 0xff, 0xff, 0xff, 1, 2, 3})
	f.Add([]byte{5, 4, 3, 2, 1, 0, 0xf0, 1, 2})
	src := mediatest.TestdataPath(f, "p01.ivf")
	f.Fuzz(func(t *testing.T, seed []byte) {
		if len(seed) == 0 {
			return
		}
		// Each byte of seed steers a frame's time: small steps mostly,
		// leaps and falls where the byte says so.
		var pts []uint64
		var cur uint64 = 1 << 40
		path := mediatest.RetimeIVF(t, src, func(i int, _ uint64) uint64 {
			b := seed[i%len(seed)]
			switch {
			case b >= 0xf0:
				cur += uint64(b-0xef) * 30 * 3600 // hours ahead
			case b >= 0xe0:
				cur -= min(cur, uint64(b-0xdf)*30*60) // minutes back
			default:
				cur += uint64(b % 4)
			}
			pts = append(pts, cur)
			return cur
		})
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		off := int(binary.LittleEndian.Uint16(want[6:]))
		n := 0
		in := readAll(t, path, func(_ *Input, p Packet) {
			size := int(binary.LittleEndian.Uint32(want[off:]))
			if string(p.Data) != string(want[off+12:off+12+size]) {
				t.Fatalf("packet %d is not the file's frame %d", n, n)
			}
			off += 12 + size
			n++
		})
		if n != len(pts) {
			t.Fatalf("read %d packets of %d", n, len(pts))
		}
		// Without a leap or a fall, nothing is out of line.
		if !slices.ContainsFunc(seed, func(b byte) bool { return b >= 0xe0 }) {
			if r := in.Retimed(Video); r != 0 {
				t.Fatalf("Retimed %d packets of a stream with no leap", r)
			}
		}
	})
}

// TestInputLookaheadBounded: a file with a single video frame and minutes
// of audio (a cover picture) makes the first video packet's look-ahead
// search the whole file for a second one; it stops at lookaheadAll
// packets held instead of holding all the audio.
func TestInputLookaheadBounded(t *testing.T) {
	dir := t.TempDir()
	frame, audio, path := filepath.Join(dir, "frame.ivf"), filepath.Join(dir, "audio.webm"), filepath.Join(dir, "cover.webm")
	for _, args := range [][]string{
		{"-i", mediatest.TestdataPath(t, "p01.ivf"), "-frames:v", "1", "-c", "copy", frame},
		{"-f", "lavfi", "-i", "sine=frequency=440:duration=200", "-c:a", "libopus", "-b:a", "16k", audio},
		{"-i", frame, "-i", audio, "-c", "copy", path},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-v", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
	}
	most, n, video := 0, 0, 0
	readAll(t, path, func(in *Input, p Packet) {
		most = max(most, len(in.pending))
		n++
		if p.Kind == Video {
			video++
		}
	})
	if video != 1 || n < 2*lookaheadAll {
		t.Fatalf("%d packets, %d of them video; want one video and over %d", n, video, 2*lookaheadAll)
	}
	if most > lookaheadAll {
		t.Errorf("read-ahead held %d packets, want at most %d", most, lookaheadAll)
	}
}

// TestInputFirstBehindWithAudio: in a file with audio too, a first video
// frame hours behind the rest of the video is taken for damaged back only
// when the audio starts with the rest; when the audio starts with that
// first frame, the hours are the video's own pause and are kept.
func TestInputFirstBehindWithAudio(t *testing.T) {
	frame := time.Second / 30
	video := mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), func(i int, pts uint64) uint64 {
		if i == 0 {
			return pts
		}
		return pts + hours
	})
	for _, tc := range []struct {
		name    string
		shift   time.Duration // of the audio in the file
		retimed int
		gap     time.Duration // between the first two video frames after Read
		with    int           // the video frame the audio starts with after Read
	}{
		{"audio with the rest", 5 * time.Hour, 1, frame, 1},
		{"audio with the first", 0, 0, 5*time.Hour + frame, 0},                           // the audio's first packet comes first
		{"audio just after the first", 20 * time.Millisecond, 0, 5*time.Hour + frame, 0}, // the video's does
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "both.webm")
			// setts counts in the muxer's time base: Matroska's milliseconds.
			args := []string{"-v", "error", "-i", video, "-i", mediatest.TestdataPath(t, "p01.ogg"), "-c", "copy",
				"-bsf:a", "setts=ts=TS+" + strconv.FormatInt(tc.shift.Milliseconds(), 10), path}
			if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
			}
			var videoTimes []time.Duration
			firstAudio, lastAudio := NoPTS, NoPTS
			in := readAll(t, path, func(_ *Input, p Packet) {
				switch p.Kind {
				case Video:
					videoTimes = append(videoTimes, p.PTS)
				case Audio:
					if firstAudio == NoPTS {
						firstAudio = p.PTS
					}
					lastAudio = p.PTS
				}
			})
			if len(videoTimes) != 90 || firstAudio == NoPTS {
				t.Fatalf("%d video packets and audio from %v, want 90 and audio", len(videoTimes), firstAudio)
			}
			if got := in.Retimed(Video); got != tc.retimed {
				t.Errorf("Retimed %d, want %d", got, tc.retimed)
			}
			near := func(got, want, tolerance time.Duration) bool { return got-want >= -tolerance && got-want <= tolerance }
			if got := videoTimes[1] - videoTimes[0]; !near(got, tc.gap, 2*time.Millisecond) {
				t.Errorf("the second video frame %v after the first, want %v", got, tc.gap)
			}
			for i := 2; i < len(videoTimes); i++ {
				if got := videoTimes[i] - videoTimes[i-1]; !near(got, frame, 2*time.Millisecond) {
					t.Errorf("video frame %d %v after the one before, want %v", i, got, frame)
				}
			}
			// Pre-skip puts Opus a few milliseconds before its picture.
			if !near(firstAudio, videoTimes[tc.with], 50*time.Millisecond) {
				t.Errorf("audio starts at %v, want with video frame %d at %v", firstAudio, tc.with, videoTimes[tc.with])
			}
			if lastAudio-firstAudio > 5*time.Second {
				t.Errorf("audio spans %v, more than the clip", lastAudio-firstAudio)
			}
		})
	}
}

// TestInputKeepsLateLastFrameOfLongClip: in a clip longer than trailingJump,
// a last frame that comes later than that after the one before, but within
// the clip's length, is a real frame and keeps its time.
func TestInputKeepsLateLastFrameOfLongClip(t *testing.T) {
	const step = 2 * 30 // a frame every two seconds: the clip spans three minutes
	path := mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), func(i int, _ uint64) uint64 {
		if i == 89 {
			return uint64(i)*step + 2*60*30 // two minutes late
		}
		return uint64(i) * step
	})
	times, retimed := readTimes(t, path)
	if len(times) != 90 {
		t.Fatalf("%d packets, want 90", len(times))
	}
	if retimed != 0 {
		t.Errorf("Retimed %d, want 0", retimed)
	}
	if want := 89*2*time.Second + 2*time.Minute; times[89] != want {
		t.Errorf("last packet at %v, want %v", times[89], want)
	}
}

// TestInputKeepsPauseAfterDamagedFirst: once a damaged first frame has moved
// the file's times (in.offset), a real pause later, even with a lone frame
// damaged backwards after it, is judged on the moved times and kept.
func TestInputKeepsPauseAfterDamagedFirst(t *testing.T) {
	frame := time.Second / 30
	for _, tc := range []struct {
		name      string
		backwards int // a frame damaged back to the start, or -1
	}{
		{"pause", -1},
		{"pause, then one damaged backwards", 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mediatest.RetimeIVF(t, mediatest.TestdataPath(t, "p01.ivf"), func(i int, pts uint64) uint64 {
				switch {
				case i == 0:
					return pts + hours
				case i == tc.backwards:
					return 0
				case i >= 45:
					return pts + 60*30 // a minute without video, then it goes on
				}
				return pts
			})
			times, retimed := readTimes(t, path)
			if len(times) != 90 {
				t.Fatalf("%d packets, want 90", len(times))
			}
			if retimed != 1 {
				t.Errorf("Retimed %d, want 1 (the first frame)", retimed)
			}
			for i, got := range times {
				want := time.Duration(i) * frame
				switch {
				case i == tc.backwards:
					want = 0 // left alone
				case i >= 45:
					want += time.Minute
				}
				if d := got - want; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("packet %d at %v, want %v", i, got, want)
				}
			}
		})
	}
}
