package mediatest

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Tolerances of the checks on the committed clips (testdata/).
const (
	// clipFrames: every clip is 3 s at 30 fps.
	clipFrames = 90
	clipLength = 3 * time.Second
	// lengthSlack: containers round durations, and Opus adds up to one
	// 20 ms frame of padding and 6.5 ms of pre-skip.
	lengthSlack = 30 * time.Millisecond
	// ptsSlack: WebM stores times in whole milliseconds, so 1/30 s steps
	// come out as 33 or 34 ms.
	ptsSlack = time.Millisecond
	// maxColourError: a tile's median colour must be this close to its
	// participant's colour. Flat areas survive VP8/H.264 within a few units;
	// 20 leaves room for scaling in the mixer tests and is still half of
	// the minimum distance between two participants.
	maxColourError = 20
	// toneLevelDBFS is the level the clips' tones were made at, and
	// toneSlackDB what Opus at 64 kbit/s may change it by.
	toneLevelDBFS = -24
	toneSlackDB   = 1
	// absentToneDBFS: another participant's tone must read below this.
	// Opus coding noise at a pure tone's neighbours is far lower.
	absentToneDBFS = -60
	// Tones are measured away from the start and end of a clip, where the
	// codec's onset and padding smear them.
	toneFrom, toneTo = 500 * time.Millisecond, 1500 * time.Millisecond
)

func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (Debian: apt-get install ffmpeg): %v", tool, err)
		}
	}
}

func participant(t *testing.T, id int) Participant {
	t.Helper()
	for _, p := range Participants(t) {
		if p.ID == id {
			return p
		}
	}
	t.Fatalf("no participant %d in %s", id, ParticipantsFile)
	return Participant{}
}

// checkColour fails unless the background of frame shows participant p.
func checkColour(t *testing.T, what string, frame *image.YCbCr, p Participant) {
	t.Helper()
	y, cb, cr := MedianColour(frame, BackgroundRegion(frame.Rect))
	if d := ColourDistance(y, cb, cr, p.Y, p.Cb, p.Cr); d >= maxColourError {
		t.Errorf("%s: median colour (%d, %d, %d) is %.1f from %s's (%d, %d, %d), want < %d",
			what, y, cb, cr, d, p.Name, p.Y, p.Cb, p.Cr, maxColourError)
	}
	if got, _ := Nearest(Participants(t), y, cb, cr); got.ID != p.ID {
		t.Errorf("%s: median colour (%d, %d, %d) is nearest to %s, want %s", what, y, cb, cr, got.Name, p.Name)
	}
}

func TestP01(t *testing.T) {
	requireTools(t)
	path := TestdataPath(t, "p01.ivf")
	probe, err := ProbeFile(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := probe.Video()
	if !ok || probe.FormatName != "ivf" || v.CodecName != "vp8" || v.Width != 640 || v.Height != 360 || v.FrameRate != 30 {
		t.Errorf("probe = %+v", probe)
	}
	if d := probe.Duration - clipLength; d.Abs() > lengthSlack {
		t.Errorf("duration %v, want %v", probe.Duration, clipLength)
	}
	n, err := CountFrames(t.Context(), path)
	if err != nil || n != clipFrames {
		t.Errorf("CountFrames = %d, %v; want %d", n, err, clipFrames)
	}
	frames, _, err := DecodeVideo(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	checkColour(t, "p01.ivf frame 0", frames[0], participant(t, 1))
}

// A video clip and what it must contain.
type videoClip struct {
	file, format, codec string
	id                  int
	sizes               []image.Point // frame sizes in order, each for an equal share of the frames
}

func videoClips() []videoClip {
	std := []image.Point{{640, 360}}
	var clips []videoClip
	for id := 1; id <= 9; id++ {
		clips = append(clips,
			videoClip{fmt.Sprintf("p%02d.ivf", id), "ivf", "vp8", id, std},
			videoClip{fmt.Sprintf("p%02d.h264", id), "h264", "h264", id, std})
	}
	change := []image.Point{{320, 180}, {480, 270}}
	return append(clips,
		videoClip{"p10.ivf", "ivf", "vp8", 10, []image.Point{{322, 180}}},
		videoClip{"p11.ivf", "ivf", "vp8", 11, change},
		videoClip{"p11.h264", "h264", "h264", 11, change},
		videoClip{"p12.webm", "matroska,webm", "vp8", 12, std},
		videoClip{"p12.vp9.ivf", "ivf", "vp9", 12, std},
		videoClip{"p12.av1.ivf", "ivf", "av1", 12, std},
	)
}

func TestVideoClips(t *testing.T) {
	requireTools(t)
	for _, c := range videoClips() {
		if testing.Short() && c.id != 1 && c.id != 11 {
			continue
		}
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			path := TestdataPath(t, c.file)
			probe, err := ProbeFile(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := probe.Video()
			if !ok || probe.FormatName != c.format || v.CodecName != c.codec || v.Width != c.sizes[0].X || v.Height != c.sizes[0].Y {
				t.Errorf("probe = %+v, want %s with %s at %v", probe, c.format, c.codec, c.sizes[0])
			}
			frames, pts, err := DecodeVideo(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if len(frames) != clipFrames {
				t.Fatalf("%d frames, want %d", len(frames), clipFrames)
			}
			checkSizes(t, frames, c.sizes)
			checkTimes(t, pts)
			p := participant(t, c.id)
			for _, i := range []int{0, clipFrames / 2, clipFrames - 1} {
				checkColour(t, fmt.Sprintf("frame %d", i), frames[i], p)
			}
			for i := 1; i < len(frames); i++ {
				if bytes.Equal(frames[i-1].Y, frames[i].Y) {
					t.Errorf("frames %d and %d have the same luma; the box should move every frame", i-1, i)
				}
			}
		})
	}
}

func checkSizes(t *testing.T, frames []*image.YCbCr, sizes []image.Point) {
	t.Helper()
	per := len(frames) / len(sizes)
	for i, f := range frames {
		if want := sizes[min(i/per, len(sizes)-1)]; f.Rect.Size() != want {
			t.Errorf("frame %d is %v, want %v", i, f.Rect.Size(), want)
		}
	}
}

func checkTimes(t *testing.T, pts []time.Duration) {
	t.Helper()
	period := time.Second / 30
	for i, got := range pts {
		if want := pts[0] + time.Duration(i)*period; (got - want).Abs() > ptsSlack {
			t.Errorf("frame %d at %v, want %v (30 fps from %v)", i, got, want, pts[0])
		}
	}
	if pts[0].Abs() > 10*time.Millisecond {
		t.Errorf("first frame at %v, want about 0", pts[0])
	}
}

func TestAudioClips(t *testing.T) {
	requireTools(t)
	ps := Participants(t)
	for id := 1; id <= 12; id++ {
		file := fmt.Sprintf("p%02d.ogg", id)
		if id == 12 {
			file = "p12.webm"
		}
		if testing.Short() && id != 1 && id != 12 {
			continue
		}
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			path := TestdataPath(t, file)
			probe, err := ProbeFile(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			a, ok := probe.Audio()
			if !ok || a.CodecName != "opus" || a.SampleRate != AudioRate || a.Channels != AudioChannels {
				t.Errorf("probe = %+v, want 48 kHz stereo Opus", probe)
			}
			pcm, err := DecodeAudio(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			length := time.Duration(len(pcm)/AudioChannels) * time.Second / AudioRate
			if (length - clipLength).Abs() > lengthSlack {
				t.Errorf("decoded %v of audio, want %v", length, clipLength)
			}
			checkTones(t, pcm, ps, id)
		})
	}
}

// checkTones fails unless both channels carry participant id's tone at the
// clips' level and no other participant's tone.
func checkTones(t *testing.T, pcm []int16, ps []Participant, id int) {
	t.Helper()
	for ch := range AudioChannels {
		for _, p := range ps {
			level := ToneLevel(pcm, AudioChannels, ch, AudioRate, p.ToneHz, toneFrom, toneTo)
			switch {
			case p.ID == id && math.Abs(level-toneLevelDBFS) > toneSlackDB:
				t.Errorf("channel %d: own tone %g Hz at %.2f dBFS, want %d ± %d", ch, p.ToneHz, level, toneLevelDBFS, toneSlackDB)
			case p.ID != id && level > absentToneDBFS:
				t.Errorf("channel %d: %s's tone %g Hz at %.1f dBFS, want < %d", ch, p.Name, p.ToneHz, level, absentToneDBFS)
			}
		}
	}
}

func TestDecodedFramePNGRoundTrip(t *testing.T) {
	requireTools(t)
	frames, _, err := DecodeVideo(t.Context(), TestdataPath(t, "p10.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p10.png")
	for _, i := range []int{0, 45} {
		if err := WritePNG(path, frames[i]); err != nil {
			t.Fatal(err)
		}
		back, err := ReadPNG(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := PSNR(frames[i], back); got < minRoundTripPSNR {
			t.Errorf("frame %d: PSNR after PNG round trip = %.1f dB, want >= %d", i, got, minRoundTripPSNR)
		}
	}
}

func TestNotMedia(t *testing.T) {
	requireTools(t)
	for _, name := range []string{"notmedia.txt", "no-such-file.ivf"} {
		path := TestdataPath(t, name)
		if _, err := ProbeFile(t.Context(), path); err == nil {
			t.Errorf("ProbeFile(%s) succeeded", name)
		}
		if _, err := CountFrames(t.Context(), path); err == nil {
			t.Errorf("CountFrames(%s) succeeded", name)
		}
		if _, _, err := DecodeVideo(t.Context(), path); err == nil {
			t.Errorf("DecodeVideo(%s) succeeded", name)
		}
		if _, err := DecodeAudio(t.Context(), path); err == nil {
			t.Errorf("DecodeAudio(%s) succeeded", name)
		}
	}
}

func TestDecodeAudioOfVideoOnlyFile(t *testing.T) {
	requireTools(t)
	if _, err := DecodeAudio(t.Context(), TestdataPath(t, "p01.ivf")); err == nil {
		t.Error("DecodeAudio of a file without audio succeeded")
	}
}
