package offline

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcu/mixer"
)

// flashBeep makes a clip whose picture turns white and whose sound starts
// (a 440 Hz tone) both at 'at' of the clip's own time; extra are ffmpeg
// output arguments (codecs, container, offsets).
func flashBeep(t *testing.T, name string, at, length time.Duration, pre []string, extra ...string) string {
	return flashBeepOff(t, name, at, length, 0, pre, extra...)
}

// flashBeepOff: the sound input starts aoff into the clip (its stream's
// first time), its tone still at 'at' of the clip's time.
func flashBeepOff(t *testing.T, name string, at, length, aoff time.Duration, pre []string, extra ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	s, d := f(at), f(length)
	args := []string{"-v", "error", "-f", "lavfi", "-i", "color=c=black:s=320x180:r=30:d=" + d + ",drawbox=c=white:t=fill:enable='gte(t," + s + ")'"}
	if aoff > 0 {
		args = append(args, "-itsoffset", f(aoff))
	}
	args = append(args, "-f", "lavfi", "-i", "aevalsrc='if(gte(t,"+f(at-aoff)+"),0.5*sin(2*PI*440*t),0)':s=48000:c=stereo:d="+f(length-aoff))
	args = append(args, pre...)
	args = append(args, extra...)
	args = append(args, path)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %q: %v %s", args, err, out)
	}
	return path
}

type probeFrames struct {
	Frames []struct {
		PTS  string            `json:"pts_time"`
		Tags map[string]string `json:"tags"`
	} `json:"frames"`
}

func lavfiFrames(t *testing.T, graph string) probeFrames {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-f", "lavfi", "-i", graph,
		"-show_entries", "frame=pts_time:frame_tags", "-of", "json").Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", graph, err)
	}
	var p probeFrames
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// events is when the file's picture first turns bright and when its sound
// first becomes loud, as ffmpeg plays it (the Opus pre-skip taken off).
func events(t *testing.T, path string) (video, audio time.Duration) {
	t.Helper()
	video, audio = -1, -1
	esc := strings.ReplaceAll(path, ":", `\:`)
	for _, f := range lavfiFrames(t, "movie="+esc+",signalstats").Frames {
		y, _ := strconv.ParseFloat(f.Tags["lavfi.signalstats.YAVG"], 64)
		if y > 128 {
			s, _ := strconv.ParseFloat(f.PTS, 64)
			video = time.Duration(s * float64(time.Second))
			break
		}
	}
	for _, f := range lavfiFrames(t, "amovie="+esc+",asetnsamples=n=48,astats=metadata=1:reset=1").Frames {
		l, err := strconv.ParseFloat(f.Tags["lavfi.astats.Overall.Peak_level"], 64)
		if err == nil && l > -20 {
			s, _ := strconv.ParseFloat(f.PTS, 64)
			audio = time.Duration(s * float64(time.Second))
			break
		}
	}
	return video, audio
}

func mixOne(t *testing.T, args ...string) string {
	t.Helper()
	var parts []Participant
	for _, a := range args {
		p, err := ParseParticipant(a)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 320, 180
	out := filepath.Join(t.TempDir(), "out.webm")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := Mix(ctx, parts, Options{Output: out, Mixer: cfg}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMixKeepsPictureAndSoundTogether: a clip whose picture and sound
// change at the same moment changes both at the same moment of the mix,
// whatever the container: WebM, IVF+Ogg, WebM with times from 10 s, an MP4,
// a clip whose sound starts later than its picture.
func TestMixKeepsPictureAndSoundTogether(t *testing.T) {
	const at = 1600 * time.Millisecond
	vp8 := []string{"-c:v", "libvpx", "-b:v", "300k", "-g", "30"}
	opus := []string{"-c:a", "libopus", "-b:a", "64k"}
	both := append(append([]string{}, vp8...), opus...)
	cases := []struct {
		name  string
		args  func(t *testing.T) []string
		delay time.Duration // where the event is expected in the mix
	}{
		{"webm", func(t *testing.T) []string { return []string{flashBeep(t, "a.webm", at, 3*time.Second, nil, both...)} }, at},
		{"ivf+ogg", func(t *testing.T) []string {
			v := flashBeep(t, "a.ivf", at, 3*time.Second, []string{"-map", "0:v"}, vp8...)
			a := flashBeep(t, "a.ogg", at, 3*time.Second, []string{"-map", "1:a"}, opus...)
			return []string{v + "+" + a}
		}, at},
		{"webm from 10 s", func(t *testing.T) []string {
			return []string{flashBeep(t, "a.webm", at, 3*time.Second, nil, append(both, "-output_ts_offset", "10")...)}
		}, at},
		{"mp4", func(t *testing.T) []string {
			return []string{flashBeep(t, "a.mp4", at, 3*time.Second, nil, append([]string{"-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "30"}, opus...)...)}
		}, at},
		{"vfr webm", func(t *testing.T) []string {
			return []string{flashBeep(t, "a.webm", at, 3*time.Second, []string{"-vf", `select=not(eq(mod(n\,3)\,1))`, "-fps_mode", "vfr"}, both...)}
		}, at},
		{"15 fps ivf+ogg", func(t *testing.T) []string {
			v := flashBeep(t, "a.ivf", at, 3*time.Second, []string{"-map", "0:v", "-vf", "fps=15"}, vp8...)
			a := flashBeep(t, "a.ogg", at, 3*time.Second, []string{"-map", "1:a"}, opus...)
			return []string{v + "+" + a}
		}, at},
		{"60 fps mkv", func(t *testing.T) []string {
			return []string{flashBeep(t, "a.mkv", at, 3*time.Second, []string{"-vf", "fps=60"}, both...)}
		}, at},
		{"webm with sound from 0.5 s", func(t *testing.T) []string {
			// The sound input starts half a second into the clip: both
			// events stay at 1.5 s of the clip's time.
			v := flashBeepOff(t, "a.webm", at, 3*time.Second, 500*time.Millisecond, nil, both...)
			return []string{v}
		}, at},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := mixOne(t, tc.args(t)...)
			v, a := events(t, out)
			t.Logf("picture at %v, sound at %v", v, a)
			if v < 0 || a < 0 {
				t.Fatalf("no event found: picture %v, sound %v", v, a)
			}
			if d := (v - a).Abs(); d > 35*time.Millisecond {
				t.Errorf("picture at %v, sound at %v: %v apart", v, a, d)
			}
			if d := (v - tc.delay).Abs(); d > 35*time.Millisecond {
				t.Errorf("picture at %v, want %v", v, tc.delay)
			}
		})
	}
}
