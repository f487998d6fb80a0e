package offline

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"mcu/internal/mediatest"
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
			v, a := mediatest.Onsets(t, out)
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
