//go:build cgo

package recorder

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestRecordingStartedMidRoomKeepsSync: a recording started while a
// room runs (its clock at 10 s) gets deltas first, then the keyframe its
// start asked for, with the sound a little ahead; a flash and a beep at
// the same moment of the room's clock are at the same moment of the file,
// the file starting at the keyframe.
func TestRecordingStartedMidRoomKeepsSync(t *testing.T) {
	const (
		room  = 10 * time.Second
		event = 11 * time.Second
	)
	c := newClip(t)
	path := filepath.Join(t.TempDir(), "mid.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 1920)
	audio := func(pts time.Duration) codec.EncodedFrame {
		for s := range 960 {
			at := pts + time.Duration(s)*time.Second/48000
			v := int16(0)
			if at >= event {
				v = int16(16000 * math.Sin(2*math.Pi*440*at.Seconds()))
			}
			pcm[2*s], pcm[2*s+1] = v, v
		}
		data, err := c.audio.Encode(pcm)
		if err != nil {
			t.Fatal(err)
		}
		return codec.EncodedFrame{Data: data, PTS: pts, Duration: 20 * time.Millisecond, Key: true}
	}
	video := func(i int) codec.EncodedFrame {
		pts := room + time.Duration(i)*time.Second/30
		y := uint8(16)
		if pts >= event {
			y = 235
		}
		codec.FillRect(&c.pic.YCbCr, c.pic.Rect, y, 128, 128)
		f, err := c.video.Encode(&c.pic.YCbCr, pts, i == 5)
		if err != nil {
			t.Fatal(err)
		}
		f.PTS = pts
		return f
	}
	// The encoder's first keyframe went to the room before the start.
	video(0)
	vi, at := 1, room-100*time.Millisecond
	for vi < 90 {
		vt := room + time.Duration(vi)*time.Second/30
		if at <= vt+40*time.Millisecond { // sound a frame ahead of the picture
			if err := w.WriteAudio(audio(at)); err != nil {
				t.Fatal(err)
			}
			at += 20 * time.Millisecond
			continue
		}
		if err := w.WriteVideo(video(vi)); err != nil {
			t.Fatal(err)
		}
		vi++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.DroppedBeforeKey != 4 {
		t.Errorf("%d deltas dropped before the keyframe, want 4", w.DroppedBeforeKey)
	}
	v, a := mediatest.Onsets(t, path)
	want := event - (room + 5*time.Second/30)
	t.Logf("picture at %v, sound at %v; want %v", v, a, want)
	if (v - want).Abs() > 20*time.Millisecond {
		t.Errorf("picture at %v, want %v", v, want)
	}
	if (a - want).Abs() > 20*time.Millisecond {
		t.Errorf("sound at %v, want %v", a, want)
	}
	p := ffprobe(t, path)
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-(float64(90-5)/30)) > 0.05 {
		t.Errorf("duration %s", p.Format.Duration)
	}
}

// TestAudioReachesTheDiskDuringAVideoPause: while no picture comes
// (the encoder stalled, a pause in video), the sound goes on reaching
// the disk cluster by cluster, as the package promises ("a process killed
// mid-recording leaves a file that plays up to its last second"): after
// 5 s of sound with no picture, a reader of the file as it is (no Close)
// finds at least 3.5 s of it.
func TestAudioReachesTheDiskDuringAVideoPause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pause.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := newClip(t)
	key, err := c.videoFrame(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteVideo(key); err != nil {
		t.Fatal(err)
	}
	for i := range 250 { // 5 s of sound, no picture after the first
		a, err := c.audioFrame(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(a); err != nil {
			t.Fatal(err)
		}
	}
	// What a kill now would leave: the file as it is on disk.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	clusters := mediatest.WebMElements(data)[mediatest.EBMLCluster]
	var packets int
	if clusters > 0 {
		for _, s := range ffprobe(t, path).Streams {
			if s.CodecName == "opus" {
				packets, _ = strconv.Atoi(s.NbReadFrames)
			}
		}
	}
	t.Logf("file of %d bytes, %d clusters, %d of 250 audio packets readable before Close", len(data), clusters, packets)
	if packets < 175 {
		t.Errorf("after 5 s of sound during a pause in the picture, %d packets (%v) reached the file (%d bytes, %d clusters); want ≥ 175 (3.5 s)",
			packets, time.Duration(packets)*20*time.Millisecond, len(data), clusters)
	}
}

// TestPictureResumesAfterAPause: 3 s without a picture, the sound
// going on, then the picture again: every frame is in the finalized file,
// in order, and it lasts to the end.
func TestPictureResumesAfterAPause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resume.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	vi, ai := 0, 0
	for ai < 300 { // 6 s of sound; pictures but from 1 s to 4 s
		vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
		if vt <= at && vi < 180 {
			f, err := c.videoFrame(vi)
			if err != nil {
				t.Fatal(err)
			}
			vi++
			if vt >= time.Second && vt < 4*time.Second {
				continue
			}
			if vt >= 4*time.Second && vt < 4*time.Second+time.Second/30 {
				f, err = c.video.Encode(&c.pic.YCbCr, vt, true)
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := w.WriteVideo(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := c.audioFrame(ai)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(f); err != nil {
			t.Fatal(err)
		}
		ai++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p := ffprobe(t, path)
	t.Logf("%+v %s", p.Streams, p.Format.Duration)
	if len(p.Streams) != 2 || p.Streams[0].NbReadFrames != strconv.Itoa(w.VideoFrames) || p.Streams[1].NbReadFrames != "300" {
		t.Errorf("streams %+v, want %d pictures and 300 sound packets", p.Streams, w.VideoFrames)
	}
	if d, _ := strconv.ParseFloat(p.Format.Duration, 64); math.Abs(d-6) > 0.05 {
		t.Errorf("duration %s, want 6 s", p.Format.Duration)
	}
}

// TestOneTrackArrivingLate: the sound handed to the writer a second and
// a half after the pictures of its time (a mixer whose audio lags), or
// the pictures as late after the sound (an encoder that lags): every
// packet is in the finalized file at its time, and ffprobe reads them all.
func TestOneTrackArrivingLate(t *testing.T) {
	for _, c := range []struct {
		name string
		lag  time.Duration // of the sound behind the pictures
	}{{"sound late", 1500 * time.Millisecond}, {"pictures late", -1500 * time.Millisecond}} {
		t.Run(c.name, func(t *testing.T) { checkArrivingLate(t, c.lag) })
	}
}

func checkArrivingLate(t *testing.T, lag time.Duration) {
	path := recordWithLag(t, false, -lag, 0, 0) // 8 s
	p := ffprobe(t, path)
	if len(p.Streams) != 2 || p.Streams[0].NbReadFrames != "240" || p.Streams[1].NbReadFrames != "400" {
		t.Errorf("streams %+v, want 240 pictures and 400 sound packets", p.Streams)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	prev := -1.0
	for i, l := range strings.Fields(string(out)) {
		v, _ := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if v <= prev {
			t.Errorf("audio packet %d at %v after %v", i, v, prev)
		}
		if want := float64(i)*0.02 - 0.0065; math.Abs(v-want) > 0.002 { // less the Opus pre-skip
			t.Errorf("audio packet %d at %v, want %v", i, v, want)
			break
		}
		prev = v
	}
}
